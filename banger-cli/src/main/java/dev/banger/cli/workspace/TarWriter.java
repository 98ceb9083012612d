package dev.banger.cli.workspace;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A POSIX (ustar + pax) tar writer: regular files, symlinks and directories, owned by root
 * (numeric 0), with their mode and mtime. Names or link targets longer than ustar holds go in a
 * pax header, which GNU and busybox tar both read.
 */
final class TarWriter implements AutoCloseable {

    private static final int BLOCK = 512;
    private final OutputStream out;
    private long written;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    long written() {
        return written;
    }

    void file(String path, int mode, long mtimeSeconds, long size, InputStream content) throws IOException {
        header(path, '0', mode, mtimeSeconds, size, "");
        long copied = content.transferTo(new Bounded(out, size));
        if (copied != size) {
            throw new IOException(path + " changed size while it was shipped (" + size + " bytes listed, " + copied + " read)");
        }
        written += size;
        pad(size);
    }

    void file(String path, int mode, long mtimeSeconds, byte[] content) throws IOException {
        file(path, mode, mtimeSeconds, content.length, new java.io.ByteArrayInputStream(content));
    }

    void symlink(String path, String target, long mtimeSeconds) throws IOException {
        header(path, '2', 0777, mtimeSeconds, 0, target);
    }

    void directory(String path, int mode, long mtimeSeconds) throws IOException {
        header(path.endsWith("/") ? path : path + "/", '5', mode, mtimeSeconds, 0, "");
    }

    /** The two zero blocks that end an archive. */
    @Override
    public void close() throws IOException {
        out.write(new byte[BLOCK * 2]);
        written += BLOCK * 2;
        out.flush();
    }

    private void header(String path, char type, int mode, long mtime, long size, String link) throws IOException {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        byte[] linkName = link.getBytes(StandardCharsets.UTF_8);
        Map<String, String> pax = new LinkedHashMap<>();
        if (name.length > 100) {
            pax.put("path", path);
        }
        if (linkName.length > 100) {
            pax.put("linkpath", link);
        }
        if (size > 077777777777L) {
            pax.put("size", Long.toString(size));
        }
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            out.write(block("PaxHeaders/" + Integer.toHexString(path.hashCode()), 'x', 0644, mtime, records.length, ""));
            out.write(records);
            written += BLOCK + records.length;
            pad(records.length);
        }
        out.write(block(path, type, mode, mtime, size, link));
        written += BLOCK;
    }

    private static byte[] block(String path, char type, int mode, long mtime, long size, String link) {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, path.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size > 077777777777L ? 0 : size);
        octal(h, 136, 12, Math.max(0, mtime));
        h[156] = (byte) type;
        put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 265, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 297, 32, "root".getBytes(StandardCharsets.US_ASCII));
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    /** "LEN key=value\n" records, LEN counting itself. */
    private static byte[] paxRecords(Map<String, String> pax) {
        StringBuilder all = new StringBuilder();
        pax.forEach((k, v) -> {
            int body = (" " + k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8).length;
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len++;
            }
            all.append(len).append(' ').append(k).append('=').append(v).append('\n');
        });
        return all.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void put(byte[] h, int off, int len, byte[] value) {
        System.arraycopy(value, 0, h, off, Math.min(len, value.length));
    }

    /** NUL-terminated octal, zero-padded to the field. */
    private static void octal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        put(h, off, len - 1, padded.getBytes(StandardCharsets.US_ASCII));
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
            written += BLOCK - rest;
        }
    }

    /** Writes at most {@code limit} bytes: a file that grew while shipped cannot overrun its entry. */
    private static final class Bounded extends OutputStream {
        private final OutputStream out;
        private long left;

        Bounded(OutputStream out, long limit) {
            this.out = out;
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            if (left <= 0) {
                throw new IOException("a file grew while it was shipped");
            }
            out.write(b);
            left--;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > left) {
                throw new IOException("a file grew while it was shipped");
            }
            out.write(b, off, len);
            left -= len;
        }
    }
}
