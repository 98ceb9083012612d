package dev.banger.daemon.image;

import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.nio.file.Path;

/** Brings a bundle (http(s) URL or absolute file path) into {@code staging}; returns the file. */
@FunctionalInterface
interface BundleFetch {
    Path fetch(String source, Path staging, OperationContext ctx) throws IOException, InterruptedException;
}
