package dev.banger.daemon.image.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdInputStream;
import dev.banger.daemon.image.oci.Descriptor;
import dev.banger.daemon.image.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An image (or an index of images) built in memory for tests: manifest bytes, config and layer
 * blobs, all with their real digests. {@link TestRegistry#push} uploads one to docker-registry;
 * {@link FakeRegistry#serve} serves one.
 *
 * @param manifest  the manifest (or index) bytes exactly as pushed
 * @param blobs     config and layer blobs by digest (empty for an index)
 * @param children  an index's images, in the order it lists them (empty for an image)
 */
public record TestImage(String mediaType, byte[] manifest, String digest, Descriptor config, List<Descriptor> layers,
                        Map<String, byte[]> blobs, Config settings, List<TestImage> children) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The runtime settings a config blob carries. */
    public record Config(String os, String architecture, List<String> env, List<String> entrypoint, List<String> cmd,
                         String workingDir, String user) {

        public static Config of(String os, String architecture) {
            return new Config(os, architecture, List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                    List.of(), List.of("/bin/sh"), "", "");
        }

        public static Config linuxAmd64() {
            return of("linux", "amd64");
        }

        public Config with(List<String> newEnv, List<String> newEntrypoint, List<String> newCmd, String newWorkingDir, String newUser) {
            return new Config(os, architecture, newEnv, newEntrypoint, newCmd, newWorkingDir, newUser);
        }
    }

    /** An OCI image of the given layers (all of {@code layerMediaType}) for linux/amd64 with default settings. */
    public static TestImage image(List<byte[]> layers, String layerMediaType) {
        return image(layers, layerMediaType, MediaTypes.OCI_MANIFEST, Config.linuxAmd64());
    }

    /**
     * An image with an OCI ({@link MediaTypes#OCI_MANIFEST}) or docker v2
     * ({@link MediaTypes#DOCKER_MANIFEST}) manifest. The config's {@code rootfs.diff_ids} are the
     * sha256 of each layer uncompressed, as real builders write them.
     */
    public static TestImage image(List<byte[]> layers, String layerMediaType, String manifestMediaType, Config settings) {
        boolean docker = manifestMediaType.equals(MediaTypes.DOCKER_MANIFEST);
        Map<String, byte[]> blobs = new LinkedHashMap<>();
        List<Descriptor> layerDescs = new ArrayList<>();
        ArrayNode diffIds = JSON.createArrayNode();
        for (byte[] layer : layers) {
            Descriptor d = new Descriptor(layerMediaType, sha256(layer), layer.length);
            blobs.put(d.digest(), layer);
            layerDescs.add(d);
            diffIds.add(diffId(layer, layerMediaType));
        }
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("created", "2024-01-02T03:04:05Z");
        cfg.put("architecture", settings.architecture());
        cfg.put("os", settings.os());
        ObjectNode run = cfg.putObject("config");
        settings.env().forEach(run.putArray("Env")::add);
        if (!settings.entrypoint().isEmpty()) {
            settings.entrypoint().forEach(run.putArray("Entrypoint")::add);
        }
        settings.cmd().forEach(run.putArray("Cmd")::add);
        if (!settings.workingDir().isEmpty()) {
            run.put("WorkingDir", settings.workingDir());
        }
        if (!settings.user().isEmpty()) {
            run.put("User", settings.user());
        }
        ObjectNode rootfs = cfg.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.set("diff_ids", diffIds);
        byte[] configBytes = bytes(cfg);
        Descriptor config = new Descriptor(docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG, sha256(configBytes), configBytes.length);
        blobs.put(config.digest(), configBytes);

        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", manifestMediaType);
        m.set("config", descriptor(config));
        ArrayNode ls = m.putArray("layers");
        layerDescs.forEach(d -> ls.add(descriptor(d)));
        byte[] manifest = bytes(m);
        return new TestImage(manifestMediaType, manifest, sha256(manifest), config, layerDescs, blobs, settings, List.of());
    }

    /** An OCI index or docker manifest list of {@code images}, each listed with the platform of its config. */
    public static TestImage index(String indexMediaType, List<TestImage> images) {
        ObjectNode idx = JSON.createObjectNode();
        idx.put("schemaVersion", 2);
        idx.put("mediaType", indexMediaType);
        ArrayNode ms = idx.putArray("manifests");
        for (TestImage img : images) {
            ObjectNode d = descriptor(img.descriptor());
            ObjectNode platform = d.putObject("platform");
            platform.put("architecture", img.settings().architecture());
            platform.put("os", img.settings().os());
            ms.add(d);
        }
        byte[] body = bytes(idx);
        return new TestImage(indexMediaType, body, sha256(body), null, List.of(), Map.of(), null, List.copyOf(images));
    }

    /** This manifest (or index) as a descriptor: media type, digest, size. */
    public Descriptor descriptor() {
        return new Descriptor(mediaType, digest, manifest.length);
    }

    public static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The sha256 of the layer uncompressed, streamed: a whole distribution's tree need not fit in memory. */
    private static String diffId(byte[] layer, String mediaType) {
        MediaTypes.Compression c = MediaTypes.layerCompression(mediaType);
        if (c == null || c == MediaTypes.Compression.NONE) {
            return sha256(layer);
        }
        try (InputStream in = c == MediaTypes.Compression.GZIP ? new GZIPInputStream(new ByteArrayInputStream(layer))
                : new ZstdInputStream(new ByteArrayInputStream(layer))) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), md));
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            return sha256(layer); // not really compressed (a test's placeholder bytes): any diff_id will do
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("mediaType", d.mediaType());
        n.put("digest", d.digest());
        n.put("size", d.size());
        return n;
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
