package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.image.rootfs.GuestInjector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finished {@code rootfs.ext4} and {@code work-seed.ext4} of earlier pulls, by image manifest
 * digest and guest-files version. Pulling an image again (under another name, or after a delete)
 * links them instead of unpacking and building again. Entries are hard links to files nobody
 * writes (VMs get copy-on-write disks over them), so they cost no space while an image uses
 * them; {@code image cache prune} drops them. Only pulls with the default size use it.
 */
final class BuiltRootfsCache {

    private static final Logger log = LoggerFactory.getLogger(BuiltRootfsCache.class);
    static final String ROOTFS = "rootfs.ext4";
    static final String WORK_SEED = "work-seed.ext4";

    private final Path dir;
    private final CommandRunner runner;
    private final String guestVersion = GuestInjector.filesVersion();

    BuiltRootfsCache(Layout layout, CommandRunner runner) {
        this.dir = layout.cacheDir().resolve("rootfs");
        this.runner = runner;
    }

    Optional<Path> find(String manifestDigest) {
        Path entry = dir.resolve(key(manifestDigest));
        return Files.isRegularFile(entry.resolve(ROOTFS)) ? Optional.of(entry) : Optional.empty();
    }

    /** Links (or, across filesystems, copies) an entry's files into {@code staging}; true when it has a work-seed. */
    boolean copyInto(Path entry, Path staging) throws IOException {
        link(entry.resolve(ROOTFS), staging.resolve(ROOTFS));
        boolean seeded = Files.isRegularFile(entry.resolve(WORK_SEED));
        if (seeded) {
            link(entry.resolve(WORK_SEED), staging.resolve(WORK_SEED));
        }
        return seeded;
    }

    /** Remembers a fresh build. Best effort: a pull never fails because its result could not be cached. */
    void store(String manifestDigest, Path rootfs, Path workSeed) {
        Path entry = dir.resolve(key(manifestDigest));
        Path tmp = null;
        try {
            FileModes.privateDir(dir);
            tmp = Files.createTempDirectory(dir, "new-");
            link(rootfs, tmp.resolve(ROOTFS));
            if (workSeed != null) {
                link(workSeed, tmp.resolve(WORK_SEED));
            }
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (IOException | RuntimeException e) {
            log.debug("not caching the rootfs of {}: {}", manifestDigest, e.getMessage());
        } finally {
            if (tmp != null) {
                runner.runAllowingFailure(Command.of("rm", "-rf", tmp.toString()));
            }
        }
    }

    /** Bytes the entries hold on disk that no image shares (link count 1), and the entry count. */
    long[] prune(boolean dryRun) throws IOException {
        long bytes = 0;
        long entries = 0;
        if (!Files.isDirectory(dir)) {
            return new long[] {0, 0};
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path entry : list.toList()) {
                entries++;
                for (String f : new String[] {ROOTFS, WORK_SEED}) {
                    Path p = entry.resolve(f);
                    if (Files.isRegularFile(p) && ((Number) Files.getAttribute(p, "unix:nlink")).intValue() == 1) {
                        bytes += allocatedBytes(p); // the images are sparse: their length says little
                    }
                }
                if (!dryRun) {
                    runner.run(Command.of("rm", "-rf", entry.toString()));
                }
            }
        }
        return new long[] {entries, bytes};
    }

    private long allocatedBytes(Path file) {
        String out = runner.run(Command.of("du", "--block-size=1", "-s", file.toString())).stdout().strip();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    private String key(String manifestDigest) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((manifestDigest + "\n" + guestVersion).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (FileSystemException crossDevice) {
            runner.run(Command.of("cp", "--reflink=auto", "--sparse=always", from.toString(), to.toString()));
        }
        FileModes.privateFile(to); // a disk image: 0600 (a link shares the inode, so the image's own file is too)
    }
}
