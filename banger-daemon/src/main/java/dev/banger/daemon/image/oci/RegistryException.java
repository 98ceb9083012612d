package dev.banger.daemon.image.oci;

/**
 * A registry could not give what a pull asked for. The subclasses say why in a way callers act
 * on; this class itself is everything else (an unexpected status, a malformed manifest, a
 * download that broke off). The message names the registry, repository and tag or digest. The
 * image service maps these to RPC error codes; nothing in this package knows about those.
 */
public class RegistryException extends RuntimeException {

    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
