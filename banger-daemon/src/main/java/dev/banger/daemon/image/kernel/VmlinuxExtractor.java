package dev.banger.daemon.image.kernel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * Stage 4: cuts the uncompressed ELF kernel out of a bzImage. The x86 boot header (protocol
 * 2.08+) says where the compressed payload is ({@code payload_offset}, {@code payload_length});
 * its magic says how it is compressed. LZ4 (Debian's choice: legacy frames, magic
 * {@code 02 21 4c 18}), gzip and zstd are decoded here; other formats, or a result that is not an
 * x86-64 ELF, give no vmlinux and a reason, which is not an error: QEMU boots the bzImage.
 */
final class VmlinuxExtractor {

    private static final int LZ4_LEGACY_MAGIC = 0x184C2102;
    /** LZ4 legacy blocks hold at most 8 MiB; a larger "size" is the kernel's appended length, not a block. */
    private static final int LZ4_LEGACY_BLOCK = 8 << 20;
    private static final int LZ4_LEGACY_MAX_COMPRESSED = LZ4_LEGACY_BLOCK + LZ4_LEGACY_BLOCK / 255 + 16;

    /** Null when {@code out} was written, else why not (and {@code out} is absent). */
    String extract(Path bzImage, Path out) throws IOException {
        String reason;
        try {
            reason = tryExtract(Files.readAllBytes(bzImage), out);
        } catch (IOException | RuntimeException e) {
            reason = "decompressing the payload failed: " + e.getMessage();
        }
        if (reason == null && !Elf.isX86_64(out)) {
            reason = "the decompressed payload is not an x86-64 ELF";
        }
        if (reason != null) {
            Files.deleteIfExists(out);
        }
        return reason;
    }

    private static String tryExtract(byte[] img, Path out) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        if (img.length < 0x250 || b.getInt(0x202) != 0x53726448 /* "HdrS" */) {
            return "not a bzImage (no HdrS boot header)";
        }
        int protocol = Short.toUnsignedInt(b.getShort(0x206));
        if (protocol < 0x208) {
            return String.format("boot protocol %x.%02x predates payload_offset (2.08)", protocol >> 8, protocol & 0xff);
        }
        int setupSects = Byte.toUnsignedInt(img[0x1f1]);
        long start = (long) ((setupSects == 0 ? 4 : setupSects) + 1) * 512 + Integer.toUnsignedLong(b.getInt(0x248));
        long length = Integer.toUnsignedLong(b.getInt(0x24c));
        if (length < 8 || start + length > img.length) {
            return "payload_offset/payload_length point outside the file";
        }
        byte[] payload = Arrays.copyOfRange(img, (int) start, (int) (start + length));
        ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        // Every format but gzip has the uncompressed size appended (4 bytes), which no decoder expects.
        byte[] body = Arrays.copyOf(payload, payload.length - 4);
        if (p.getInt(0) == LZ4_LEGACY_MAGIC) {
            try (OutputStream o = Files.newOutputStream(out)) {
                lz4Legacy(body, o);
            }
            return null;
        }
        if ((payload[0] & 0xff) == 0x1f && (payload[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(payload), 1 << 16)) {
                Files.copy(in, out);
            }
            return null;
        }
        if (p.getInt(0) == 0xFD2FB528) {
            try (InputStream in = new ZstdCompressorInputStream(new ByteArrayInputStream(body))) {
                Files.copy(in, out);
            }
            return null;
        }
        return String.format("payload compression with magic %02x %02x %02x %02x is not one banger decodes (lz4, gzip, zstd)",
                payload[0], payload[1], payload[2], payload[3]);
    }

    /**
     * LZ4 legacy frames: the magic, then blocks, each a little-endian compressed size and a raw
     * LZ4 block (at most 8 MiB decoded). Ends at the end of input, or where a size cannot be a block.
     */
    static void lz4Legacy(byte[] in, OutputStream out) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        byte[] block = new byte[LZ4_LEGACY_BLOCK];
        int pos = 0;
        while (pos + 4 <= in.length) {
            int size = b.getInt(pos);
            pos += 4;
            if (size == LZ4_LEGACY_MAGIC) {
                continue;
            }
            if (size <= 0 || size > LZ4_LEGACY_MAX_COMPRESSED || pos + size > in.length) {
                break;
            }
            out.write(block, 0, lz4Block(in, pos, pos + size, block));
            pos += size;
        }
    }

    /**
     * Decodes one raw LZ4 block ({@code src[from, to)}) into {@code dst}, returning the decoded
     * length. Written here because commons-compress's decoder takes seconds for a kernel; corrupt
     * input ends in an IOException or an index exception, never in a wrong-but-quiet result past
     * {@code dst}.
     */
    static int lz4Block(byte[] src, int from, int to, byte[] dst) throws IOException {
        int ip = from;
        int op = 0;
        while (ip < to) {
            int token = src[ip++] & 0xff;
            int literals = token >>> 4;
            if (literals == 15) {
                int more;
                do {
                    more = src[ip++] & 0xff;
                    literals += more;
                } while (more == 255);
            }
            System.arraycopy(src, ip, dst, op, literals);
            ip += literals;
            op += literals;
            if (ip >= to) {
                break; // the last sequence is literals only
            }
            int offset = (src[ip] & 0xff) | (src[ip + 1] & 0xff) << 8;
            ip += 2;
            if (offset == 0 || offset > op) {
                throw new IOException("corrupt LZ4 block: match offset " + offset + " at output " + op);
            }
            int match = (token & 15) + 4;
            if ((token & 15) == 15) {
                int more;
                do {
                    more = src[ip++] & 0xff;
                    match += more;
                } while (more == 255);
            }
            int ref = op - offset;
            if (offset >= match) {
                System.arraycopy(dst, ref, dst, op, match);
                op += match;
            } else { // overlapping: byte by byte repeats the pattern
                for (int end = op + match; op < end; ) {
                    dst[op++] = dst[ref++];
                }
            }
        }
        return op;
    }
}
