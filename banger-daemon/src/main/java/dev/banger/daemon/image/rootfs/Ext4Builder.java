package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a directory tree into an ext4 image file with {@code mkfs.ext4 -d}: no mount, no root
 * needed; owners, modes, links and xattrs come from the tree. The image file is sparse.
 */
public final class Ext4Builder {

    public static final long MIN_ROOTFS_BYTES = 1L << 30;
    private static final long BYTES_PER_INODE = 16 * 1024;
    private static final Duration TIMEOUT = Duration.ofMinutes(15);

    private final CommandRunner runner;

    public Ext4Builder(CommandRunner runner) {
        this.runner = runner;
    }

    /** The rootfs size: content x 1.5 (room for metadata and the user's changes), at least 1 GiB. */
    public static long rootfsSize(long contentBytes) {
        long wanted = contentBytes + contentBytes / 2;
        return roundUpMiB(Math.max(MIN_ROOTFS_BYTES, wanted));
    }

    /** Smallest image that holds the content with ext4's overhead; a requested size below it is refused. */
    public static long minimumSize(long contentBytes, long inodes) {
        return roundUpMiB(contentBytes + contentBytes / 10 + inodes * 4096 + (32L << 20));
    }

    public void build(Path tree, Path image, long sizeBytes, long inodes, String label) {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(sizeBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + image + ": " + e.getMessage(), e);
        }
        List<String> argv = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F", "-L", label, "-E", "root_owner=0:0"));
        long defaultInodes = sizeBytes / BYTES_PER_INODE;
        long neededInodes = inodes + inodes / 4 + 1024;
        if (neededInodes > defaultInodes) {
            argv.addAll(List.of("-N", Long.toString(neededInodes)));
        }
        argv.addAll(List.of("-d", tree.toString(), image.toString()));
        try {
            runner.run(new Command(argv, TIMEOUT, null, java.util.Map.of(), null));
        } catch (CommandFailedException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building " + image.getFileName() + " failed: "
                    + e.getMessage(), e);
        }
    }

    private static long roundUpMiB(long bytes) {
        long mib = 1L << 20;
        return (bytes + mib - 1) / mib * mib;
    }
}
