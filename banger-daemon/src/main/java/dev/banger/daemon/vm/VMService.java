package dev.banger.daemon.vm;

import dev.banger.core.Layout;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.workspace.WorkspaceService;

/**
 * VM lifecycle: the three-phase create, start/stop/kill/delete and reconcile. Holds its peers by
 * reference, so a service a test pre-installs on the daemon before wiring is the one it calls.
 */
public final class VMService {

    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;
    private final HostNetwork network;
    private final ImageService images;
    private final WorkspaceService workspaces;

    public VMService(Store store, CommandRunner runner, Layout layout, HostNetwork network, ImageService images,
                     WorkspaceService workspaces) {
        this.store = store;
        this.runner = runner;
        this.layout = layout;
        this.network = network;
        this.images = images;
        this.workspaces = workspaces;
    }

    public HostNetwork network() {
        return network;
    }

    public ImageService images() {
        return images;
    }

    public WorkspaceService workspaces() {
        return workspaces;
    }
}
