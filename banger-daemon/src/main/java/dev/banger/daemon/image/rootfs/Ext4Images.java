package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/** Looks at ext4 images that banger did not build (bundles, registered images) without mounting them. */
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

    /**
     * Copies the image's {@code /root} to {@code dir/root} with {@code debugfs -R "rdump /root DIR"}
     * (read-only, no mount), ready for a {@link WorkSeedBuilder}. Owners are kept when the daemon
     * is root. Throws when the image has no {@code /root} directory.
     */
    public static void dumpRoot(CommandRunner runner, Path image, Path dir) {
        String target = dir.toAbsolutePath().toString();
        if (target.indexOf('"') >= 0 || target.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("debugfs cannot address " + target);
        }
        // debugfs reports a missing path on stderr and still exits 0: the dumped tree is the witness.
        runner.run(Command.of("debugfs", "-R", "rdump /root \"" + target + "\"", image.toString())
                .withTimeout(Duration.ofMinutes(10)));
        if (!Files.isDirectory(dir.resolve("root"), LinkOption.NOFOLLOW_LINKS)) {
            throw BangerException.notFound("the image has no /root directory to seed the work disk from");
        }
    }
}
