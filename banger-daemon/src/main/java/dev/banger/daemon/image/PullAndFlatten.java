package dev.banger.daemon.image;

import dev.banger.daemon.image.oci.ImageReference;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.nio.file.Path;

/** Fetches an image and flattens its layers into {@code tree} ({@link OciPull}; tests pass their own). */
@FunctionalInterface
interface PullAndFlatten {
    PulledTree pull(ImageReference ref, Path tree, OperationContext ctx) throws IOException, InterruptedException;
}
