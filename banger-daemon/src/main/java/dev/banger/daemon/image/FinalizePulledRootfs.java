package dev.banger.daemon.image;

import dev.banger.daemon.ops.OperationContext;
import java.nio.file.Path;

/** Makes {@code rootfsImage} (ext4, guest files injected) out of a flattened tree ({@link RootfsFinalizer}; tests pass their own). */
@FunctionalInterface
interface FinalizePulledRootfs {
    void finish(Path tree, PulledTree pulled, Path rootfsImage, Long sizeBytes, String imageName, OperationContext ctx);
}
