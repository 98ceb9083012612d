package dev.banger.daemon.fs;

import dev.banger.core.Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * banger's own directories under state_dir and cache_dir, made and (on every daemon start, so an
 * upgrade from a banger that made them 0755 is covered) set to their modes: all 0700 but the
 * state dir itself, 0750 group {@code banger}, which members' CLI traverses to reach {@code ssh/}
 * (the group key and known_hosts their ssh reads). Its own files (store, lock, log) are 0600.
 */
public final class StateDirs {

    private StateDirs() {
    }

    public static void prepare(Layout layout) {
        FileModes.groupDir(layout.stateDir());
        for (Path dir : List.of(layout.cacheDir(), layout.imagesDir(), layout.kernelsDir(), layout.vmsDir(), layout.stagingDir())) {
            FileModes.privateDir(dir);
        }
        try (Stream<Path> children = Files.list(layout.stateDir())) {
            children.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(FileModes::privateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + layout.stateDir() + ": " + e.getMessage(), e);
        }
    }
}
