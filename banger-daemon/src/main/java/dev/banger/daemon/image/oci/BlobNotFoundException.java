package dev.banger.daemon.image.oci;

/** The registry does not have a blob its manifest names. */
public final class BlobNotFoundException extends RegistryException {

    BlobNotFoundException(String message) {
        super(message);
    }
}
