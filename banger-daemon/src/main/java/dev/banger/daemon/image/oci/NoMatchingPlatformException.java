package dev.banger.daemon.image.oci;

/** The reference exists but has no linux/amd64 image (an index without one, or a config naming another platform). */
public final class NoMatchingPlatformException extends RegistryException {

    NoMatchingPlatformException(String message) {
        super(message);
    }
}
