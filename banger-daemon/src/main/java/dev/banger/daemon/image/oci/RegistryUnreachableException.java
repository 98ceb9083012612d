package dev.banger.daemon.image.oci;

/** No HTTP answer from the registry (unknown host, refused, timed out, TLS failed), after the retries the policy allows. */
public final class RegistryUnreachableException extends RegistryException {

    RegistryUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
