package dev.banger.daemon.image.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestKernelDeb;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmlinux out of synthetic bzImages: the boot header's payload fields, each supported compression, the failures. */
class VmlinuxExtractorTest {

    @TempDir
    Path dir;
    final VmlinuxExtractor extractor = new VmlinuxExtractor();

    /** An x86-64 ELF header followed by compressible but not trivial bytes (long and overlapping matches). */
    static byte[] fakeElf(int size) {
        byte[] b = new byte[size];
        Random r = new Random(42);
        for (int i = 64; i < size; i++) {
            b[i] = switch (i / 4096 % 3) {
                case 0 -> (byte) r.nextInt(256);                // incompressible
                case 1 -> (byte) 'A';                           // one long overlapping run
                default -> (byte) "vmlinux text ".charAt(i % 13); // short repeats
            };
        }
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        h.putShort(16, (short) 2);  // ET_EXEC
        h.putShort(18, (short) 62); // EM_X86_64
        return b;
    }

    /** A bzImage-shaped file: setup sectors with the boot header, then the payload where payload_offset says. */
    static byte[] bzImage(byte[] payload) {
        int setupSects = 3;
        int payloadOffset = 0x1a0;
        byte[] img = new byte[(setupSects + 1) * 512 + payloadOffset + payload.length + 64];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        img[0x1f1] = (byte) setupSects;
        b.putInt(0x202, 0x53726448); // "HdrS"
        b.putShort(0x206, (short) 0x020f);
        b.putInt(0x248, payloadOffset);
        b.putInt(0x24c, payload.length);
        System.arraycopy(payload, 0, img, (setupSects + 1) * 512 + payloadOffset, payload.length);
        return img;
    }

    /** What the kernel build appends to every payload but gzip's: the uncompressed size. */
    static byte[] withSize(byte[] compressed, int size) {
        byte[] out = Arrays.copyOf(compressed, compressed.length + 4);
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(compressed.length, size);
        return out;
    }

    /** LZ4 legacy frame: magic, then independent blocks of at most {@code blockSize} input bytes. */
    static byte[] lz4Legacy(byte[] data, int blockSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x02, 0x21, 0x4c, 0x18});
        for (int off = 0; off < data.length; off += blockSize) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            try (BlockLZ4CompressorOutputStream c = new BlockLZ4CompressorOutputStream(block)) {
                c.write(data, off, Math.min(blockSize, data.length - off));
            }
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(block.size()).array());
            out.writeBytes(block.toByteArray());
        }
        return out.toByteArray();
    }

    private String extract(byte[] bzImage, Path out) throws IOException {
        Path in = dir.resolve("vmlinuz");
        Files.write(in, bzImage);
        return extractor.extract(in, out);
    }

    @Test
    void lz4LegacyPayloadInSeveralBlocks() throws Exception {
        byte[] elf = fakeElf(300_000);
        Path out = dir.resolve("vmlinux");
        assertThat(extract(bzImage(withSize(lz4Legacy(elf, 128 * 1024), elf.length)), out)).isNull();
        assertThat(Files.readAllBytes(out)).isEqualTo(elf);
    }

    @Test
    void gzipAndZstdPayloads() throws Exception {
        byte[] elf = fakeElf(100_000);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(elf);
        }
        Path out = dir.resolve("vmlinux-gz");
        assertThat(extract(bzImage(gz.toByteArray()), out)).isNull();
        assertThat(Files.readAllBytes(out)).isEqualTo(elf);

        out = dir.resolve("vmlinux-zst");
        assertThat(extract(bzImage(withSize(Zstd.compress(elf, 19), elf.length)), out)).isNull();
        assertThat(Files.readAllBytes(out)).isEqualTo(elf);
    }

    @Test
    void whatCannotBeCutOutGivesAReasonAndNoFile() throws Exception {
        Path out = dir.resolve("vmlinux");
        byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3, 4, 5, 6};
        assertThat(extract(bzImage(xz), out)).contains("magic fd 37 7a 58 is not one banger decodes");
        assertThat(out).doesNotExist();

        byte[] text = "not an ELF at all, just text text text text".repeat(100).getBytes();
        assertThat(extract(bzImage(withSize(lz4Legacy(text, 1 << 20), text.length)), out)).contains("not an x86-64 ELF");
        assertThat(out).doesNotExist();

        assertThat(extract("MZ plain PE file, no boot header".repeat(40).getBytes(), out)).contains("no HdrS boot header");
        byte[] tooLong = bzImage(withSize(lz4Legacy(fakeElf(50_000), 1 << 20), 50_000));
        ByteBuffer.wrap(tooLong).order(ByteOrder.LITTLE_ENDIAN).putInt(0x24c, tooLong.length);
        assertThat(extract(tooLong, out)).contains("point outside the file");

        // A block whose match reaches before the start of the output: token (1 literal, match), 'A', offset 5.
        byte[] badBlock = {0x10, 'A', 5, 0};
        byte[] legacy = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x184C2102).putInt(4)
                .put(badBlock).array();
        assertThat(extract(bzImage(withSize(legacy, 100)), out)).contains("corrupt LZ4 block: match offset 5 at output 1");
        assertThat(out).doesNotExist();
    }

    /** The decoder against the reference encoder's legacy output (lz4 -l), which uses every kind of match. */
    @Test
    void decodesWhatTheLz4ToolEncodes() throws Exception {
        Assumptions.assumeTrue(TestKernelDeb.onHost("lz4") || isRoot(), "lz4 is not installed (run scripts/host-setup.sh)");
        byte[] data = fakeElf(3_000_000);
        Path plain = dir.resolve("data");
        Path packed = dir.resolve("data.lz4");
        Files.write(plain, data);
        new CommandRunner().run(Command.of("lz4", "-l", "-9", "-f", "-q", plain.toString(), packed.toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VmlinuxExtractor.lz4Legacy(Files.readAllBytes(packed), out);
        assertThat(out.toByteArray()).isEqualTo(data);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
