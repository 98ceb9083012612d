package dev.banger.daemon.image.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The few ELF facts a kernel import checks: is it ELF, 64-bit x86-64, statically linked. */
final class Elf {

    static final byte[] MAGIC = {0x7f, 'E', 'L', 'F'};
    static final int EM_X86_64 = 62;
    private static final int PT_INTERP = 3;

    private Elf() {
    }

    static boolean hasMagic(byte[] head) {
        return head.length >= 4 && head[0] == MAGIC[0] && head[1] == MAGIC[1] && head[2] == MAGIC[2] && head[3] == MAGIC[3];
    }

    /** The ELF64 little-endian header of {@code file}, or null when it is not one. */
    static ByteBuffer header64(FileChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(h, 0);
        h.flip();
        if (h.remaining() < 64 || !hasMagic(new byte[] {h.get(0), h.get(1), h.get(2), h.get(3)})
                || h.get(4) != 2 /* ELFCLASS64 */ || h.get(5) != 1 /* little-endian */) {
            return null;
        }
        return h;
    }

    /** True when {@code file} is an x86-64 ELF executable. */
    static boolean isX86_64(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = header64(ch);
            return h != null && Short.toUnsignedInt(h.getShort(18)) == EM_X86_64;
        }
    }

    /** True for an x86-64 ELF without a program interpreter (so: statically linked). */
    static boolean isStaticX86_64(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = header64(ch);
            if (h == null || Short.toUnsignedInt(h.getShort(18)) != EM_X86_64) {
                return false;
            }
            long phoff = h.getLong(32);
            int phentsize = Short.toUnsignedInt(h.getShort(54));
            int phnum = Short.toUnsignedInt(h.getShort(56));
            ByteBuffer ph = ByteBuffer.allocate(phentsize * phnum).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(ph, phoff);
            for (int i = 0; i < phnum; i++) {
                if (ph.getInt(i * phentsize) == PT_INTERP) {
                    return false;
                }
            }
            return true;
        }
    }
}
