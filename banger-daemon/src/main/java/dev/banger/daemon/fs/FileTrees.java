package dev.banger.daemon.fs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way to delete a file tree: in-process (no process a pending interrupt would kill, so an
 * undo still runs to its end), never following a symbolic link out of it and never descending into
 * another filesystem mounted inside it, as {@code rm -rf --one-file-system} would.
 */
public final class FileTrees {

    private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

    private FileTrees() {
    }

    /**
     * Deletes {@code path} and, when it is a directory, everything below it; a link is removed, not
     * followed; missing is fine. A directory on another filesystem than {@code path} (a mount) is
     * an error, and nothing below it is touched.
     */
    public static void delete(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Object device = Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    throw new IOException(dir + " is on another filesystem (a mount point?): not removed");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** As {@link #delete}, for cleanup paths: a failure is logged, not thrown. */
    public static void deleteQuietly(Path path) {
        try {
            delete(path);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }
}
