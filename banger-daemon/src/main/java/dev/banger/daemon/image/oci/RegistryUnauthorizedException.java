package dev.banger.daemon.image.oci;

/** The registry (or its token service) refused the credentials banger had, or it had none. */
public final class RegistryUnauthorizedException extends RegistryException {

    RegistryUnauthorizedException(String message) {
        super(message);
    }
}
