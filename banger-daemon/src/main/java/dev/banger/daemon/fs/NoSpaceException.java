package dev.banger.daemon.fs;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A write that found its filesystem full, naming where ({@link #path}) and what needed the space
 * ({@link #purpose}). Raised where banger writes (a blob, a rootfs, a VM's disks, a workspace),
 * passed through the services untouched, and mapped once, to the {@code no_space} RPC error, by
 * {@code rpc.RpcConnection}.
 */
public final class NoSpaceException extends RuntimeException {

    /** errno ENOSPC as the JDK and the tools we run (mkfs.ext4, cp, qemu-img, tar) spell it. */
    private static final String ENOSPC = "No space left on device";
    /** A filesystem with less free than this after a failed write is what failed it (writes go in pieces of at most 1 MiB). */
    private static final long FULL_BELOW_BYTES = 2L << 20;

    private final String path;
    private final String purpose;

    /** {@code path} on this host ran out of space (the message adds its filesystem and what is free there). */
    public NoSpaceException(Path path, String purpose, Throwable cause) {
        this(path.toString(), purpose, mountNote(path) + ": free some space there and try again", cause);
    }

    private NoSpaceException(String path, String purpose, String tail, Throwable cause) {
        super("no space left on " + path + " while " + purpose + tail, cause);
        this.path = path;
        this.purpose = purpose;
    }

    /**
     * {@code guestPath} in VM {@code vm} ran out of space, as {@code guestError} (what the guest's
     * tools said) tells; the message says how to look and how to grow the VM's /root disk.
     */
    public static NoSpaceException inGuest(String vm, String guestPath, String purpose, String guestError) {
        return new NoSpaceException(guestPath + " in VM " + vm, purpose, " (" + guestError + "): free some space there"
                + " (banger vm exec " + vm + " -- df -h " + guestPath + ") or give the VM a bigger /root disk"
                + " (banger vm set " + vm + " --disk-size SIZE, then restart it)", null);
    }

    /** Where the space ran out: a host path, or a guest path and its VM. */
    public String path() {
        return path;
    }

    public String purpose() {
        return purpose;
    }

    /**
     * Throws a NoSpaceException for {@code failure} when it was the filesystem holding {@code path}
     * running out of space: ENOSPC somewhere in the failure's causes (the JDK's message, a tool's
     * stderr), or that filesystem (nearly) full now. Returns otherwise, for the caller to rethrow
     * {@code failure} as it is. Call it before removing what the failed write left, which is
     * what filled the filesystem.
     */
    public static void throwIfFull(Throwable failure, Path path, String purpose) {
        if (failure instanceof NoSpaceException already) {
            throw already;
        }
        if (failure instanceof BangerException refusal && refusal.code() != ErrorCode.OPERATION_FAILED) {
            return; // a verdict on the input or a cancel, not a write that failed
        }
        if (saysNoSpace(failure) || isFull(path)) {
            throw new NoSpaceException(path, purpose, failure);
        }
    }

    /** True when the filesystem holding {@code path} (or its nearest existing parent) has almost no room left. */
    public static boolean isFull(Path path) {
        try {
            return store(path).getUsableSpace() < FULL_BELOW_BYTES;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** True when {@code text} (a tool's stderr) reports ENOSPC. */
    public static boolean saysNoSpace(String text) {
        return text != null && text.contains(ENOSPC);
    }

    private static boolean saysNoSpace(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (saysNoSpace(t.getMessage())) {
                return true;
            }
            for (Throwable s : t.getSuppressed()) {
                if (saysNoSpace(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String mountNote(Path path) {
        try {
            FileStore fs = store(path);
            return " (the filesystem " + fs + " has " + (fs.getUsableSpace() >> 10) + " KiB free)";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static FileStore store(Path path) throws IOException {
        Path p = path.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return Files.getFileStore(p == null ? path.getRoot() : p);
    }
}
