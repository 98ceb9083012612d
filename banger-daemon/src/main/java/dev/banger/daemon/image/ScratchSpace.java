package dev.banger.daemon.image;

import dev.banger.core.Layout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a pull unpacks its layers before {@code mkfs.ext4 -d} reads them: a tmpfs when one has
 * room, else the staging dir. The tree is thrown away minutes later, and on a disk creating its
 * thousands of files (journaled metadata) is most of a pull's time. Each state dir gets its own
 * directory on the tmpfs, wiped when its daemon starts, so a crash mid-pull leaks no memory for long.
 */
final class ScratchSpace {

    private static final Logger log = LoggerFactory.getLogger(ScratchSpace.class);
    private static final Path SHM = Path.of("/dev/shm");
    /** Below this much free tmpfs a pull unpacks on disk: big images must not exhaust memory. */
    static final long MIN_FREE_BYTES = 4L << 30;

    private final Path memoryRoot;

    ScratchSpace(Layout layout) {
        this.memoryRoot = isTmpfs(SHM) ? SHM.resolve("banger-" + shortHash(layout.stateDir().toAbsolutePath().toString())) : null;
    }

    /** A fresh, empty directory for a flattened tree. */
    Path newTree(Path staging) throws IOException {
        if (memoryRoot != null && Files.getFileStore(SHM).getUsableSpace() > MIN_FREE_BYTES) {
            Files.createDirectories(memoryRoot);
            return Files.createTempDirectory(memoryRoot, "tree-");
        }
        return Files.createDirectory(staging.resolve("tree"));
    }

    boolean inMemory(Path tree) {
        return memoryRoot != null && tree.startsWith(memoryRoot);
    }

    /** The per-state-dir directory on the tmpfs, or null when there is none. */
    Path memoryRoot() {
        return memoryRoot;
    }

    private static boolean isTmpfs(Path dir) {
        try {
            return Files.isDirectory(dir) && Files.isWritable(dir) && "tmpfs".equals(Files.getFileStore(dir).type());
        } catch (IOException e) {
            log.debug("{} not usable as scratch space: {}", dir, e.getMessage());
            return false;
        }
    }

    private static String shortHash(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
