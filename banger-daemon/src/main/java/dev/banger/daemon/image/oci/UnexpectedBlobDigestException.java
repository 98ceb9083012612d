package dev.banger.daemon.image.oci;

/** A blob or manifest arrived with other content than its digest names. */
public final class UnexpectedBlobDigestException extends RegistryException {

    UnexpectedBlobDigestException(String message) {
        super(message);
    }
}
