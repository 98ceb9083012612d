package dev.banger.daemon.image.recipe;

import dev.banger.daemon.image.layers.FlattenResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What a finished tree holds, counted as the layer flattener counts a pulled one, for sizing its ext4. */
public final class TreeCounts {

    private TreeCounts() {
    }

    /** Files (each inode once), directories, symlinks, special files and content bytes of {@code tree}; no fixups. */
    public static FlattenResult of(Path tree) {
        long[] n = new long[6]; // files, dirs, symlinks, hardlinks, special, bytes
        Set<Object> inodes = new HashSet<>();
        try {
            Files.walkFileTree(tree, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                    if (!dir.equals(tree)) {
                        n[1]++;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                    if (a.isSymbolicLink()) {
                        n[2]++;
                    } else if (a.isRegularFile()) {
                        if (inodes.add(a.fileKey())) {
                            n[0]++;
                            n[5] += a.size();
                        } else {
                            n[3]++;
                        }
                    } else {
                        n[4]++;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + tree + ": " + e.getMessage(), e);
        }
        return new FlattenResult(n[0], n[1], n[2], n[3], n[4], n[5], n[0] + n[1] + n[2] + n[4], List.of());
    }
}
