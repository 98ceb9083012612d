package dev.banger.daemon.image.rootfs;

/**
 * {@link Ext4Extractor} refused a well-formed image's tree: a cap was reached (the message names
 * it) or the subtree to extract is a symbolic link.
 */
public final class Ext4ExtractException extends RuntimeException {

    public Ext4ExtractException(String message) {
        super(message);
    }
}
