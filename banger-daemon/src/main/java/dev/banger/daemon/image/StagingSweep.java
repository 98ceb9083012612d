package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of the staging dir: the work dirs of pulls, imports and uploads a killed daemon
 * left. Only safe under the state dir's lock, since a live pull's staging dir looks the same.
 */
final class StagingSweep {

    private static final Logger log = LoggerFactory.getLogger(StagingSweep.class);

    private final Layout layout;

    StagingSweep(Layout layout) {
        this.layout = layout;
    }

    void run() {
        Path dir = layout.stagingDir();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> children = Files.list(dir)) {
            children.forEach(p -> {
                log.warn("removing {}: staging left by an earlier daemon", p);
                FileTrees.deleteQuietly(p);
            });
        } catch (IOException e) {
            log.warn("cannot list {}: {}", dir, e.getMessage());
        }
    }
}
