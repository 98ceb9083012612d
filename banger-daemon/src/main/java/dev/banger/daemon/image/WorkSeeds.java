package dev.banger.daemon.image;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.rootfs.Ext4Extractor;
import dev.banger.daemon.image.rootfs.WorkSeedBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image's {@code work-seed.ext4}, from a tree or from the /root of an ext4 image. Non-fatal by
 * design: an image without a seed still boots, with an empty /root.
 */
final class WorkSeeds {

    private static final Logger log = LoggerFactory.getLogger(WorkSeeds.class);

    private final WorkSeedBuilder builder;
    private final Ext4Extractor rootExtractor;

    WorkSeeds(WorkSeedBuilder builder, Ext4Extractor rootExtractor) {
        this.builder = builder;
        this.rootExtractor = rootExtractor;
    }

    /** True when {@code out} was built from {@code tree}'s /root. */
    boolean build(Path tree, Path out, String name) {
        try {
            builder.build(tree, out);
            return true;
        } catch (RuntimeException e) {
            // An image without its /root for want of space is a failed pull, not a lesser image.
            try {
                NoSpaceException.throwIfFull(e, out, "building the work seed of image " + name);
            } finally {
                FileTrees.deleteQuietly(out);
            }
            log.warn("image {}: no work-seed ({}); VMs from it start with an empty /root", name, e.getMessage());
            return false;
        }
    }

    /**
     * As {@link #build}, from the /root of an untrusted ext4 image, copied into {@code scratch}
     * by {@link Ext4Extractor} (never a tool that trusts the names in the image).
     */
    boolean buildFromImage(Path rootfs, Path scratch, Path out, String name) {
        try {
            Files.createDirectory(scratch);
            rootExtractor.extractRoot(rootfs, scratch);
            return build(scratch, out, name);
        } catch (NoSpaceException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            log.warn("image {}: no work-seed ({}); VMs from it start with an empty /root", name, e.getMessage());
            return false;
        } finally {
            FileTrees.deleteQuietly(scratch);
        }
    }
}
