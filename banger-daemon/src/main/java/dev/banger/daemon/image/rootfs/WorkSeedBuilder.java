package dev.banger.daemon.image.rootfs;

import java.nio.file.Path;

/**
 * Builds {@code work-seed.ext4} from an image's {@code /root}: the starting content of every VM's
 * persistent work disk (dotfiles, distro defaults). A seam: tests swap it out, and its failure
 * never fails a pull (the image then has no seed and VMs start with an empty /root).
 */
@FunctionalInterface
public interface WorkSeedBuilder {

    /** Builds {@code out} from the tree's {@code root/} directory; throws when there is nothing usable. */
    void build(Path tree, Path out);
}
