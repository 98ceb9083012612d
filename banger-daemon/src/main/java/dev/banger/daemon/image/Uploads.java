package dev.banger.daemon.image;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.fs.SparseFiles;
import dev.banger.daemon.ops.OperationContext;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;

/**
 * The bytes of a caller's file that came beside a request (docs/rpc.md, "Byte streams"), instead
 * of a host path bangerd would open with root's rights. They land in bangerd's own staging
 * directory, so nothing a caller can change is opened again later.
 */
final class Uploads {

    private Uploads() {
    }

    /**
     * Claims the upload under {@code token} at once: a stream connection waits only a minute for
     * its claim, and a request reads its streams one after the other.
     */
    static InputStream claim(OperationContext ctx, String token) {
        return ctx.client().streams().upload(token);
    }

    /**
     * Writes {@code in} (closed here) to the new file {@code target}, sparse (an uploaded disk image
     * keeps its holes); a stream cut short is a failure naming {@code what}.
     */
    static Path save(InputStream in, String what, Path target) {
        try (in) {
            SparseFiles.write(in, target);
            return target;
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "receiving " + what + " was cancelled");
        } catch (IOException e) {
            NoSpaceException.throwIfFull(e, target, "receiving " + what);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot receive " + what + ": " + e.getMessage(), e);
        }
    }

    /**
     * How an upload's source is recorded: {@code prefix} and the caller's {@code label} (the path
     * it named, shown in listings, never opened), or {@code prefix} + "upload" without one.
     */
    static String source(String prefix, String label) {
        if (label == null) {
            return prefix + "upload";
        }
        if (label.length() > 4096 || label.chars().anyMatch(Character::isISOControl)) {
            throw BangerException.badRequest("label must be at most 4096 characters, without control characters");
        }
        return prefix + label;
    }

    /** Closes what a request claimed (null: not claimed); an upload not read to its end is cut short. */
    static void closeQuietly(Closeable... streams) {
        for (Closeable c : streams) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // Read to its end already, or the request failed anyway.
                }
            }
        }
    }
}
