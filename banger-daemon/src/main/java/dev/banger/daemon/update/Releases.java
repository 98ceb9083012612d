package dev.banger.daemon.update;

import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Set;

/**
 * The installed releases, side by side: {@code PREFIX/lib/banger-releases/VERSION/} each, the link
 * {@code PREFIX/lib/banger} to the current one (what the unit's ExecStart and PREFIX/bin's links go
 * through) and {@code PREFIX/lib/banger.previous} to the one before. A link is switched by
 * rename(2) of a new link over it, so every reader sees the old release or the new, never neither.
 * Paths here are on this machine (the install root already applied).
 */
final class Releases {

    static final String DIR = "banger-releases";

    private final Path lib;

    /** {@code lib}: PREFIX/lib on this machine. */
    Releases(Path lib) {
        this.lib = lib;
    }

    Path current() {
        return lib.resolve("banger");
    }

    private Path previousLink() {
        return lib.resolve("banger.previous");
    }

    Path dir(String version) {
        return lib.resolve(DIR).resolve(version);
    }

    Optional<String> currentVersion() throws IOException {
        return target(current());
    }

    Optional<String> previousVersion() throws IOException {
        return target(previousLink());
    }

    private static Optional<String> target(Path link) throws IOException {
        return Files.isSymbolicLink(link) ? Optional.of(Files.readSymbolicLink(link).getFileName().toString()) : Optional.empty();
    }

    /**
     * A tree {@code system install} copied to PREFIX/lib/banger becomes release {@code installed}:
     * moved (one rename) into banger-releases, the link put in its place right after. The running
     * daemon keeps its open jars; a launcher started in the instant between finds no tree.
     */
    void adopt(ReleaseBundle.Release installed) throws IOException {
        if (Files.isSymbolicLink(current()) || !Files.isDirectory(current(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.write(current().resolve(ReleaseBundle.PROPERTIES), ReleaseBundle.properties(installed)); // for a later rollback
        Files.createDirectories(lib.resolve(DIR));
        FileTrees.delete(dir(installed.version())); // stale: a reinstall put a tree of this version in place since
        Files.move(current(), dir(installed.version()), StandardCopyOption.ATOMIC_MOVE);
        point(current(), installed.version());
    }

    /** Moves an unpacked release into place as {@code version} (not yet current). */
    void add(Path unpacked, String version) throws IOException {
        Files.createDirectories(lib.resolve(DIR));
        FileTrees.delete(dir(version)); // a leftover of a failed update to the same version
        Files.move(unpacked, dir(version), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Makes {@code version} current and what was current the previous. */
    void switchTo(String version) throws IOException {
        Optional<String> was = currentVersion();
        if (was.isPresent()) {
            point(previousLink(), was.get());
        }
        point(current(), version);
    }

    /** Undoes {@link #switchTo}: {@code version} current again, {@code previous} the previous again. */
    void switchBack(String version, Optional<String> previous) throws IOException {
        point(current(), version);
        if (previous.isPresent()) {
            point(previousLink(), previous.get());
        } else {
            Files.deleteIfExists(previousLink());
        }
    }

    void remove(String version) throws IOException {
        FileTrees.delete(dir(version));
    }

    /** Deletes every release but the current and the previous one. */
    void prune() throws IOException {
        Set<String> keep = Set.of(currentVersion().orElse(""), previousVersion().orElse(""));
        try (var all = Files.list(lib.resolve(DIR))) {
            for (Path p : all.toList()) {
                if (!keep.contains(p.getFileName().toString())) {
                    FileTrees.delete(p);
                }
            }
        }
    }

    private void point(Path link, String version) throws IOException {
        Path tmp = link.resolveSibling(link.getFileName() + ".switching");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(DIR, version));
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE);
    }
}
