package dev.banger.daemon.image.oci;

import dev.banger.core.image.ImageReference;
import java.net.URI;
import java.util.Set;

/** Which registries are spoken to over plain HTTP: loopback ones, and those listed in {@code insecure_registries}. */
final class InsecureRegistries {

    private final Set<String> listed;

    InsecureRegistries(Set<String> listed) {
        this.listed = Set.copyOf(listed);
    }

    /** {@code https://registry}, or {@code http://} for loopback and insecure registries; never a fallback from one to the other. */
    URI baseUri(String registry) {
        return URI.create((plainHttpAllowed(registry) ? "http://" : "https://") + registry);
    }

    /** {@code registry} is {@code host[:port]}; an entry without a port covers every port of that host. */
    boolean plainHttpAllowed(String registry) {
        if (listed.contains(registry)) {
            return true;
        }
        if (new ImageReference(registry, "x", "latest", null).isLoopback()) {
            return true;
        }
        int colon = registry.lastIndexOf(':');
        return colon > 0 && !registry.endsWith("]") && listed.contains(registry.substring(0, colon));
    }
}
