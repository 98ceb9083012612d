package dev.banger.daemon.image;

import dev.banger.daemon.image.layers.FlattenResult;

/** What a pull (or a bundle's rootfs tar, or a recipe) produced before the ext4 build. */
record PulledTree(String digest, String arch, FlattenResult flatten) {
}
