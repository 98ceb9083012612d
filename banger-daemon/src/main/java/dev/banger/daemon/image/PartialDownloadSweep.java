package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.daemon.image.kernel.KernelPackageCache;
import dev.banger.daemon.image.oci.BlobCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of the download caches: the part files of OCI blobs and kernel packages whose
 * download was cut by the daemon's death (a live download removes its own whatever ends it).
 * Only safe before serving, when no download runs.
 */
final class PartialDownloadSweep {

    private static final Logger log = LoggerFactory.getLogger(PartialDownloadSweep.class);

    private final Layout layout;

    PartialDownloadSweep(Layout layout) {
        this.layout = layout;
    }

    void run() {
        for (Path part : Stream.of(BlobCache.partials(layout.downloadCacheDir()), KernelPackageCache.partials(layout.kernelCacheDir()))
                .flatMap(List::stream).toList()) {
            try {
                Files.deleteIfExists(part);
                log.warn("removed {}: a download cut short by the previous daemon's exit", part);
            } catch (IOException e) {
                log.warn("cannot remove {}: {}", part, e.getMessage());
            }
        }
    }
}
