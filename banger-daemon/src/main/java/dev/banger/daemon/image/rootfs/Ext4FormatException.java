package dev.banger.daemon.image.rootfs;

/**
 * An ext4 image that is corrupt, hostile or uses something {@link Ext4Reader} does not read: the
 * message names the image and what is wrong (a block number past the end, a loop, a bad name).
 */
public final class Ext4FormatException extends RuntimeException {

    public Ext4FormatException(String message) {
        super(message);
    }
}
