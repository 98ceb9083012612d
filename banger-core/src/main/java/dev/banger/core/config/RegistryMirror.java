package dev.banger.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A {@code [[registry.mirror]]} entry: pulls of images on registry {@code host} (e.g.
 * {@code docker.io}, {@code ghcr.io}, {@code registry.lan:5000}) try {@code url} first (a
 * pull-through cache or a copy, speaking the same {@code /v2/} API), and the registry itself when
 * the mirror fails. {@code url} is {@code http(s)://host[:port]}, its scheme used as written.
 */
public record RegistryMirror(String host, URI url) {

    public RegistryMirror {
        if (host == null || host.isBlank() || host.contains("/") || host.contains("://")) {
            throw new ConfigException("registry.mirror host must be a registry host like \"docker.io\" or \"registry.lan:5000\", got '"
                    + host + "'");
        }
        host = host.strip().toLowerCase(Locale.ROOT);
        String scheme = url == null ? null : url.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null
                || url.getRawPath() != null && !url.getRawPath().isEmpty() && !url.getRawPath().equals("/")
                || url.getRawQuery() != null || url.getRawUserInfo() != null) {
            throw new ConfigException("registry.mirror url for " + host + " must be http(s)://host[:port] with no path, got '" + url + "'");
        }
    }

    /** Parses {@code url} as {@link #RegistryMirror} requires. */
    public static RegistryMirror of(String host, String url) {
        try {
            return new RegistryMirror(host, new URI(url == null ? "" : url.strip()));
        } catch (URISyntaxException e) {
            throw new ConfigException("registry.mirror url for " + host + " is not a URL: '" + url + "'");
        }
    }

    /** {@code host[:port]} of the mirror, as messages and credential lookups name it. */
    public String authority() {
        return url.getPort() >= 0 ? url.getHost() + ":" + url.getPort() : url.getHost();
    }
}
