package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.image.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves a reference to its linux/amd64 image: fetches the manifest (by digest when pinned,
 * else by tag), picks the linux/amd64 entry of an index, verifies each manifest's digest, and
 * reads the image config. The platform is checked once, here, with one exception for both ways an
 * image can lack linux/amd64 (an index without such an entry, a config naming another platform
 * or none).
 */
final class ManifestPuller {

    private static final Logger log = LoggerFactory.getLogger(ManifestPuller.class);
    static final String ACCEPT_MANIFESTS = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST,
            MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST);
    private static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_CONFIG_BYTES = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryTransport transport;
    private final BodyReader bodies;

    ManifestPuller(RegistryTransport transport, BodyReader bodies) {
        this.transport = transport;
        this.bodies = bodies;
    }

    private record Manifest(String mediaType, String digest, JsonNode json) {
    }

    /** {@code readConfig} fetches the (size-checked) config blob; through the cache or not is the caller's choice. */
    ResolvedImage resolve(RegistryTarget t, Function<Descriptor, byte[]> readConfig) {
        ImageReference ref = t.ref();
        Manifest top = fetch(t, ref.manifestReference(), ref.digest());
        Manifest image = top;
        if (MediaTypes.isIndex(top.mediaType)) {
            Descriptor chosen = choosePlatform(ref, top);
            image = fetch(t, chosen.digest(), chosen.digest());
            if (!MediaTypes.isImageManifest(image.mediaType)) {
                throw new RegistryException("the linux/amd64 entry of " + ref + " is a " + image.mediaType + ", not an image manifest");
            }
        } else if (!MediaTypes.isImageManifest(top.mediaType)) {
            throw new RegistryException(ref + " is not a container image (manifest media type " + top.mediaType + ")");
        }

        Descriptor config = descriptor(ref, image.json.path("config"), "config");
        if (!MediaTypes.isImageConfig(config.mediaType())) {
            throw new RegistryException(ref + " is not a container image (its config has media type " + config.mediaType() + ")");
        }
        List<Descriptor> layers = new ArrayList<>();
        JsonNode layerNodes = image.json.path("layers");
        if (!layerNodes.isArray()) {
            throw new RegistryException("the manifest of " + ref + " is malformed: it has no \"layers\" list");
        }
        for (JsonNode n : layerNodes) {
            Descriptor layer = descriptor(ref, n, "layer");
            if (MediaTypes.layerCompression(layer.mediaType()) == null) {
                throw new RegistryException(ref + " has a layer of media type " + layer.mediaType() + " (" + layer.digest()
                        + "), which banger cannot unpack (it reads tar, tar+gzip and tar+zstd layers)");
            }
            layers.add(layer);
        }
        if (config.size() > MAX_CONFIG_BYTES) {
            throw new RegistryException("the config of " + ref + " is " + config.size() + " bytes, over the " + MAX_CONFIG_BYTES
                    + " banger accepts");
        }
        JsonNode cfg;
        try {
            cfg = JSON.readTree(readConfig.apply(config));
        } catch (IOException e) {
            throw new RegistryException("the config of " + ref + " (" + config.digest() + ") is not valid JSON: " + e.getMessage());
        }
        if (cfg == null || !cfg.isObject()) {
            throw new RegistryException("the config of " + ref + " (" + config.digest() + ") is not a JSON object");
        }
        String os = text(cfg.path("os"));
        String arch = text(cfg.path("architecture"));
        // The image spec requires both; an image that names no platform may be for any, so it is refused like a foreign one.
        if (!os.equals("linux") || !arch.equals("amd64")) {
            throw new NoMatchingPlatformException(ref + " is a " + (os.isEmpty() && arch.isEmpty() ? "platform-less (its config names no os"
                    + " or architecture)" : (os.isEmpty() ? "?" : os) + "/" + (arch.isEmpty() ? "?" : arch))
                    + " image; banger runs linux/amd64 images");
        }
        JsonNode c = cfg.path("config");
        return new ResolvedImage(ref, image.digest, config, layers, os, arch,
                strings(ref, c.path("Env"), "Env"), strings(ref, c.path("Entrypoint"), "Entrypoint"),
                strings(ref, c.path("Cmd"), "Cmd"), text(c.path("WorkingDir")), text(c.path("User")));
    }

    private Manifest fetch(RegistryTarget t, String reference, String expectedDigest) {
        String what = reference.startsWith("sha256:") ? "manifest " + reference : "tag '" + reference + "'";
        HttpResponse<InputStream> r = transport.get(t, "/v2/" + t.repository() + "/manifests/" + reference, ACCEPT_MANIFESTS, Map.of());
        try {
            if (r.statusCode() == 404) {
                throw notFound(t, what, RegistryTransport.errorCode(r));
            }
            transport.checkStatus(t, r, what);
            byte[] body = bodies.readSmall(r, MAX_MANIFEST_BYTES, "the manifest for " + what, t.label());
            String digest = Digests.of(body);
            String expected = expectedDigest;
            if (expected == null) {
                String header = r.headers().firstValue("Docker-Content-Digest").orElse(null);
                if (Digests.isSha256(header)) {
                    expected = header;
                }
            }
            if (expected != null && !expected.equals(digest)) {
                throw new UnexpectedBlobDigestException("manifest " + expected + " from " + t.label() + " failed verification (got "
                        + digest + ")");
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw new RegistryException("the manifest for " + what + " in " + t.label() + " is not valid JSON: " + e.getMessage());
            }
            if (json == null || !json.isObject()) {
                throw new RegistryException("the manifest for " + what + " in " + t.label() + " is not a JSON object");
            }
            String mediaType = mediaTypeOf(r, json);
            if (MediaTypes.DOCKER_SCHEMA1.contains(mediaType) || json.path("schemaVersion").asInt() == 1) {
                throw new RegistryException(t.ref() + " uses the docker schema 1 manifest format, which banger does not read; push it"
                        + " again with a current docker or buildah");
            }
            return new Manifest(mediaType, digest, json);
        } finally {
            RegistryHttp.discard(r);
        }
    }

    /** The body's own mediaType wins; else the Content-Type; else guessed from the shape. */
    private static String mediaTypeOf(HttpResponse<?> r, JsonNode json) {
        String inBody = text(json.path("mediaType"));
        if (!inBody.isEmpty()) {
            return inBody;
        }
        String header = r.headers().firstValue("Content-Type").orElse("");
        int semi = header.indexOf(';');
        header = (semi >= 0 ? header.substring(0, semi) : header).strip().toLowerCase(Locale.ROOT);
        if (!header.isEmpty() && !header.equals("application/json") && !header.equals("text/plain")) {
            return header;
        }
        if (json.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        return json.has("layers") ? MediaTypes.OCI_MANIFEST : header;
    }

    private static Descriptor choosePlatform(ImageReference ref, Manifest index) {
        Set<String> available = new LinkedHashSet<>();
        Descriptor best = null;
        boolean bestHasVariant = true;
        for (JsonNode m : index.json.path("manifests")) {
            JsonNode p = m.path("platform");
            String os = text(p.path("os"));
            String arch = text(p.path("architecture"));
            String variant = text(p.path("variant"));
            if (os.equals("linux") && arch.equals("amd64")) {
                if (best == null || bestHasVariant && variant.isEmpty()) {
                    best = descriptor(ref, m, "manifest");
                    bestHasVariant = !variant.isEmpty();
                }
            } else if (!os.isEmpty() && !os.equals("unknown")) { // unknown/unknown: build attestations
                available.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
            }
        }
        if (best == null) {
            throw new NoMatchingPlatformException(ref + " has no linux/amd64 image (available: "
                    + (available.isEmpty() ? "none" : String.join(", ", available)) + ")");
        }
        return best;
    }

    /** A 404 for a manifest: the repository or the tag is missing; tags/list tells which. */
    private ManifestNotFoundException notFound(RegistryTarget t, String what, String code) {
        if (!"NAME_UNKNOWN".equals(code)) {
            HttpResponse<InputStream> tags = null;
            try {
                tags = transport.get(t, "/v2/" + t.repository() + "/tags/list?n=20", "application/json", Map.of());
                if (tags.statusCode() == 404) {
                    code = RegistryTransport.errorCode(tags);
                } else if (tags.statusCode() == 200 && !what.startsWith("manifest ")) {
                    JsonNode json = JSON.readTree(bodies.readSmall(tags, 1 << 20, "the tag list", t.label()));
                    List<String> names = new ArrayList<>();
                    json.path("tags").forEach(n -> names.add(n.asText()));
                    if (!names.isEmpty()) {
                        return new ManifestNotFoundException(what + " not found in " + t.label() + " (it has "
                                + String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", ..." : "") + ")");
                    }
                }
            } catch (RegistryCancelledException e) {
                throw e;
            } catch (RegistryException | IOException e) {
                log.debug("listing tags of {} failed: {}", t.label(), e.toString());
            } finally {
                if (tags != null) {
                    RegistryHttp.discard(tags);
                }
            }
        }
        if ("NAME_UNKNOWN".equals(code)) {
            return new ManifestNotFoundException("repository " + t.repository() + " not found in " + t.host());
        }
        return new ManifestNotFoundException(what + " not found in " + t.label());
    }

    private static Descriptor descriptor(ImageReference ref, JsonNode n, String role) {
        String mediaType = text(n.path("mediaType"));
        String digest = text(n.path("digest"));
        JsonNode size = n.path("size");
        if (!n.isObject() || digest.isEmpty() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new RegistryException("the manifest of " + ref + " is malformed: a " + role + " descriptor lacks a digest or size");
        }
        if (!Digests.isSha256(digest)) {
            throw new RegistryException("the manifest of " + ref + " names a " + role + " by digest '" + digest
                    + "'; banger accepts sha256 digests only");
        }
        return new Descriptor(mediaType, digest, size.asLong());
    }

    private static List<String> strings(ImageReference ref, JsonNode n, String field) {
        if (n.isMissingNode() || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new RegistryException("the config of " + ref + " is malformed: " + field + " is not a list of strings");
        }
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static String text(JsonNode n) {
        return n.isTextual() ? n.asText() : "";
    }
}
