package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** The real work-seed builder: {@code mkfs.ext4 -d <tree>/root}, sized to the content with headroom. */
public final class Ext4WorkSeedBuilder implements WorkSeedBuilder {

    private static final long MIN_SEED_BYTES = 64L << 20;

    private final Ext4Builder ext4;

    public Ext4WorkSeedBuilder(Ext4Builder ext4) {
        this.ext4 = ext4;
    }

    @Override
    public void build(Path tree, Path out) {
        Path root = tree.resolve("root");
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw BangerException.notFound("the image has no /root directory to seed the work disk from");
        }
        AtomicLong bytes = new AtomicLong();
        AtomicLong inodes = new AtomicLong();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.forEach(p -> {
                inodes.incrementAndGet();
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile()) {
                        bytes.addAndGet(a.size());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the image's /root: " + e.getMessage(), e);
        }
        long size = Math.max(MIN_SEED_BYTES, Ext4Builder.minimumSize(bytes.get(), inodes.get()));
        ext4.build(root, out, size, inodes.get(), "work");
    }
}
