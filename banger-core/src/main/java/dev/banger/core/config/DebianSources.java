package dev.banger.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where bangerd gets Debian for its built-in defaults: the {@code debian-bookworm} image
 * (debootstrap from {@code mirror}, checked against {@code keyring}) and the {@code debian-cloud}
 * kernel (apt-get download through the host's apt, or through {@code kernelAptSources} alone).
 * docs/config.md lists the keys.
 *
 * @param mirror           {@code debian_mirror}: an http(s) or file URL; null: the host's own apt sources' Debian mirror
 * @param keyring          {@code debian_keyring}: the keyring the mirror's Release must be signed with
 * @param kernelAptSources {@code kernel_apt_sources}: a sources file apt uses instead of the host's; null: the host's
 */
public record DebianSources(String mirror, Path keyring, Path kernelAptSources) {

    public static final Path DEBIAN_ARCHIVE_KEYRING = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");

    public DebianSources {
        if (mirror != null) {
            mirror = checkedMirror(mirror);
        }
        keyring = keyring != null ? keyring : DEBIAN_ARCHIVE_KEYRING;
    }

    public static DebianSources defaults() {
        return new DebianSources(null, null, null);
    }

    private static String checkedMirror(String mirror) {
        try {
            URI uri = new URI(mirror);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            boolean remote = (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
            boolean local = scheme.equals("file") && uri.getPath() != null && uri.getPath().startsWith("/");
            if (remote || local) {
                return mirror.endsWith("/") ? mirror.substring(0, mirror.length() - 1) : mirror;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new ConfigException("'debian_mirror' must be an http://, https:// or file:/// URL of a Debian archive, like "
                + "http://deb.debian.org/debian; got '" + mirror + "'");
    }
}
