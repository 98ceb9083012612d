package dev.banger.daemon.image.oci;

import dev.banger.core.image.ImageReference;
import java.net.URI;

/**
 * Where requests for {@code ref}'s repository go: {@code host} names the registry in messages and
 * picks its credentials, {@code base} is the URL its {@code /v2/} API is under. The registry the
 * reference names, or a mirror configured for it.
 */
record RegistryTarget(ImageReference ref, String host, URI base) {

    String repository() {
        return ref.repository();
    }

    /** {@code host/repository}, as messages name the place. */
    String label() {
        return host + "/" + ref.repository();
    }
}
