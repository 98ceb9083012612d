package dev.banger.daemon.image;

import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.nio.file.Path;

/** Fetches a resolved image's layers and flattens them into {@code tree} ({@link OciPull.Session}; tests pass their own). */
@FunctionalInterface
interface PullAndFlatten {
    PulledTree pull(OciPull.Session resolved, Path tree, OperationContext ctx) throws IOException, InterruptedException;
}
