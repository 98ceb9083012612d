package dev.banger.daemon.image.oci;

/** The calling thread was interrupted while it talked to the registry. */
public final class RegistryCancelledException extends RegistryException {

    RegistryCancelledException(String message) {
        super(message);
    }
}
