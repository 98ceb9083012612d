package dev.banger.core.image;

import dev.banger.core.rpc.BangerException;
import java.util.regex.Pattern;

/**
 * An OCI image reference, normalised the way docker does: {@code debian:bookworm} is
 * {@code registry-1.docker.io/library/debian:bookworm}; a missing tag is {@code latest}; a
 * digest ({@code @sha256:...}) wins over a tag for fetching.
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

    public static final String DOCKER_HUB = "registry-1.docker.io";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]+)?|\\[[0-9a-fA-F:]+](?::[0-9]+)?");

    public static ImageReference parse(String ref) {
        if (ref == null || ref.isBlank()) {
            throw BangerException.badRequest("image reference is empty");
        }
        String rest = ref.strip();
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw BangerException.badRequest("image reference '" + ref + "': digest must be sha256: and 64 hex digits");
            }
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw BangerException.badRequest("image reference '" + ref + "': invalid tag '" + tag + "'");
            }
        }
        String registry = registryOf(rest);
        String repository = rest;
        if (rest.startsWith(registry + "/")) {
            repository = rest.substring(registry.length() + 1);
            if (!HOST.matcher(registry).matches()) {
                throw BangerException.badRequest("image reference '" + ref + "': invalid registry '" + registry + "'");
            }
        }
        if (registry.equals("docker.io") || registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !repository.contains("/")) {
            repository = "library/" + repository;
        }
        for (String part : repository.split("/", -1)) {
            if (!COMPONENT.matcher(part).matches()) {
                throw BangerException.badRequest("image reference '" + ref + "': invalid repository '" + repository
                        + "' (lower-case letters, digits and . _ - separators)");
            }
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry, repository, tag, digest);
    }

    /**
     * The registry host {@code ref} names, as docker reads references: the first component when
     * it has a dot or a port or is localhost, else Docker Hub. The CLI finds credentials by it.
     */
    public static String registryOf(String ref) {
        int slash = ref.indexOf('/');
        if (slash > 0) {
            String head = ref.substring(0, slash);
            if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
                return head;
            }
        }
        return DOCKER_HUB;
    }

    /** What to ask the registry for: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** The same image pinned to {@code digest} (the tag stays, for display). */
    public ImageReference withDigest(String newDigest) {
        if (newDigest == null || !DIGEST.matcher(newDigest).matches()) {
            throw new IllegalArgumentException("not a sha256 digest: " + newDigest);
        }
        return new ImageReference(registry, repository, tag, newDigest);
    }

    /** Plain HTTP is only ever used for loopback registries (and those listed as insecure). */
    public boolean isLoopback() {
        String host = registry.startsWith("[") ? registry.substring(0, registry.indexOf(']') + 1)
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
