package dev.banger.daemon.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/** A new file written with holes where whole blocks are zero: a 4 GiB disk image holding 500 MB costs 500 MB. */
public final class SparseFiles {

    private static final int BUFFER = 1 << 20;
    private static final int BLOCK = 4096;
    private static final byte[] ZEROS = new byte[BLOCK];

    private SparseFiles() {
    }

    /** Copies {@code in} (not closed) to {@code out}, created new and never through a link; returns the length. */
    public static long write(InputStream in, Path out) throws IOException {
        byte[] buf = new byte[BUFFER];
        // 0600 from the start: disks, uploads and guest memory are no one else's to read.
        try (FileChannel ch = FileChannel.open(out, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            long pos = 0;
            int n;
            while ((n = fill(in, buf)) > 0) {
                int runStart = -1;
                for (int off = 0; off < n; off += BLOCK) {
                    int len = Math.min(BLOCK, n - off);
                    boolean zero = Arrays.mismatch(buf, off, off + len, ZEROS, 0, len) < 0;
                    if (!zero && runStart < 0) {
                        runStart = off;
                    } else if (zero && runStart >= 0) {
                        writeAt(ch, buf, runStart, off, pos);
                        runStart = -1;
                    }
                }
                if (runStart >= 0) {
                    writeAt(ch, buf, runStart, n, pos);
                }
                pos += n;
            }
            if (ch.size() < pos) {
                ch.write(ByteBuffer.wrap(new byte[1]), pos - 1); // the length, after a trailing hole
            }
            return pos;
        }
    }

    private static void writeAt(FileChannel ch, byte[] buf, int from, int to, long base) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, from, to - from);
        while (b.hasRemaining()) {
            ch.write(b, base + b.position());
        }
    }

    /** Fills {@code buf} unless the stream ends first; 0 at its end. */
    private static int fill(InputStream in, byte[] buf) throws IOException {
        int n = 0;
        int r;
        while (n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0) {
            n += r;
        }
        return n;
    }
}
