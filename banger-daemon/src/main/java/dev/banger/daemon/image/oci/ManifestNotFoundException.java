package dev.banger.daemon.image.oci;

/** The repository, tag or manifest digest does not exist in the registry. */
public final class ManifestNotFoundException extends RegistryException {

    ManifestNotFoundException(String message) {
        super(message);
    }
}
