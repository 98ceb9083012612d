package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.store.Store;

/**
 * Owns every image and kernel registry operation (pull, register, promote, delete, kernels).
 * Its {@code imageOpsMu} will guard only the publication window; see ARCHITECTURE.md.
 */
public final class ImageService {

    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;

    public ImageService(Store store, CommandRunner runner, Layout layout) {
        this.store = store;
        this.runner = runner;
        this.layout = layout;
    }
}
