package dev.banger.daemon.image.rootfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Recognises ext4 images that banger did not build (bundles, registered images); {@link Ext4Extractor} reads them. */
public final class Ext4Images {

    /** The superblock starts at byte 1024; its magic number (0xEF53, little-endian) at byte 56 of it. */
    static final int MAGIC_OFFSET = 1080;

    private Ext4Images() {
    }

    /** Whether {@code file} has an ext2/3/4 superblock (magic 0xEF53 at offset 1080). */
    public static boolean hasExt4Magic(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(2);
            while (b.hasRemaining()) {
                if (ch.read(b, MAGIC_OFFSET + b.position()) < 0) {
                    return false;
                }
            }
            return (b.get(0) & 0xff) == 0x53 && (b.get(1) & 0xff) == 0xef;
        }
    }
}
