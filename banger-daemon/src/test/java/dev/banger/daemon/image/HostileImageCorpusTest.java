package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.config.UnpackLimits;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.Descriptor;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.KeyStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile images, one vector per test: tar layers, bundles and registries that try to write,
 * link or delete outside the staging tree, to leak credentials, or to exhaust memory and disk.
 * Each test asserts the refusal (or, for content that is legitimate inside a guest, where it
 * lands) and that nothing was written outside the staging directory: the state dir and the cache
 * are compared with a snapshot taken before (the cache may only gain the image's own blobs), and
 * every name the attack uses carries a random marker that must appear nowhere in the test's
 * directory, in /tmp, in /dev or anywhere under /dev/shm (the tmpfs scratch space where pulls
 * unpack) afterwards. The ext4 vectors (`..` names, a symlinked /root, a huge sparse file) live with
 * the ext4 extraction's own tests.
 */
class HostileImageCorpusTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final Path SHM = Path.of("/dev/shm");

    @TempDir
    Path dir;
    FakeRegistry registry;
    Store store;
    Layout layout;
    ImageService images;
    /** In every name an attack writes; random, so a leftover of another run cannot hide one of this run. */
    final String marker = "hostile-" + UUID.randomUUID();
    /** A host directory outside the image, as a target for links and traversals. */
    Path outside;
    private Map<String, String> stateBefore;
    private Map<String, String> cacheBefore;
    private final Set<String> servedBlobs = new java.util.HashSet<>();

    @BeforeEach
    void open() throws IOException {
        registry = new FakeRegistry();
        outside = Files.createDirectories(dir.resolve("outside-" + marker));
        Files.writeString(outside.resolve("secret"), "host secret\n");
        openService(Config.under(dir.resolve("banger")));
    }

    private void openService(Config config) {
        if (store != null) {
            store.close();
        }
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());
        try {
            for (Path d : List.of(layout.stagingDir(), layout.imagesDir(), layout.kernelsDir(), layout.vmsDir())) {
                Files.createDirectories(d); // as Daemon.open makes them
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        stateBefore = tree(layout.stateDir());
        cacheBefore = tree(layout.cacheDir());
    }

    @AfterEach
    void close() {
        store.close();
        registry.close();
    }

    // ---- tar layers -----------------------------------------------------------------------------

    @Test
    void tarEntryClimbingOutWithDotDotIsRefused() {
        String target = "/tmp/" + marker;
        assertPullRefused(List.of(bootable().entry("../../../../../../../.." + target, TarConstants.LF_NORMAL, 0644, 0, 0, null,
                bytes("pwned"), Map.of())), ErrorCode.BAD_REQUEST, "escapes the image root");
        assertThat(Path.of(target)).doesNotExist();
    }

    @Test
    void tarEntryWithAnAbsoluteNameIsRefused() {
        String target = "/tmp/" + marker;
        assertPullRefused(List.of(bootable().entry(target, TarConstants.LF_NORMAL, 0644, 0, 0, null, bytes("pwned"), Map.of())),
                ErrorCode.BAD_REQUEST, "escapes the image root (an absolute path)");
        assertThat(Path.of(target)).doesNotExist();
    }

    @Test
    void tarFileWrittenThroughASymlinkedParentDirectoryIsRefused() {
        // a -> <a host directory>, then a/f: written through the link, f would land on the host.
        assertPullRefused(List.of(bootable().symlink("a-" + marker, outside.toString()).file("a-" + marker + "/f-" + marker, "pwned")),
                ErrorCode.BAD_REQUEST, "goes through the symbolic link 'a-" + marker + "'");
        assertThat(outside).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("f-"));
    }

    @Test
    void tarSymlinkedParentPlantedByAnEarlierLayerIsRefusedToo() {
        assertPullRefused(List.of(bootable().symlink("a-" + marker, outside.toString()),
                        new TestLayer().file("a-" + marker + "/f-" + marker, "pwned")),
                ErrorCode.BAD_REQUEST, "goes through the symbolic link 'a-" + marker + "'");
        assertThat(outside).isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("f-"));
    }

    @Test
    void tarHardlinkToAHostFileIsRefused() throws IOException {
        Path secret = outside.resolve("secret");
        String up = "../".repeat(16) + secret.toString().substring(1);
        for (String target : List.of(secret.toString(), up)) {
            assertPullRefused(List.of(bootable().hardlink("etc/leak-" + marker, target)), ErrorCode.BAD_REQUEST,
                    "links to '" + target + "', which escapes the image root");
            assertThat(Files.getAttribute(secret, "unix:nlink")).as("no new name for the host file").isEqualTo(1);
        }
    }

    /**
     * Device nodes and fifos: LayerFlattener's policy is to skip them (counted, never created). A
     * guest gets its /dev from devtmpfs, and a node made by root on the host would be a door to
     * the host's devices. The pull succeeds; the image has none of them and the host gained none.
     */
    @Test
    void tarDeviceNodesAndFifosAreSkipped() {
        TestLayer layer = bootable().dir("dev", 0755)
                .entry("dev/sda-" + marker, TarConstants.LF_BLK, 0660, 0, 6, null, null, Map.of())
                .charDevice("dev/mem-" + marker)
                .fifo("dev/fifo-" + marker)
                .file("etc/kept-" + marker, "a regular file next to them is kept");

        ImageInfo image = pull(List.of(layer));

        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.exists("/etc/kept-" + marker)).isTrue();
        for (String node : List.of("sda", "mem", "fifo")) {
            assertThat(rootfs.exists("/dev/" + node + "-" + marker)).as(node).isFalse();
        }
        assertNothingOutside();
    }

    /**
     * A setuid-root binary is legitimate inside a guest (/usr/bin/passwd): it is kept, with its mode
     * and owner, inside the image only. On the host it only ever exists in the staging tree, which
     * is gone after the pull: no setuid file is left anywhere outside the image file.
     */
    @Test
    void tarSetuidRootBinaryLandsOnlyInsideTheImageWithItsMode() throws IOException {
        TestLayer layer = bootable().dir("usr/bin", 0755).file("usr/bin/passwd-" + marker, "#!/bin/sh\nid\n", 04755, 0, 0);

        ImageInfo image = pull(List.of(layer));

        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.stat("/usr/bin/passwd-" + marker)).contains("Mode:  04755").contains("User:     0");
        assertThat(setuidFiles(dir)).as("setuid files on the host under the test dir").isEmpty();
        assertNothingOutside(); // the binary's name carries the marker: not left in the scratch space either
    }

    @Test
    void tarWhiteoutOfDotDotIsRefused() {
        TestLayer lower = bootable().dir("usr/lib", 0755).file("usr/lib/keep-" + marker, "kept");
        for (String whiteout : List.of(".wh...", "usr/.wh...", "usr/lib/.wh...")) {
            assertPullRefused(List.of(lower, new TestLayer().file(whiteout, "")), ErrorCode.BAD_REQUEST,
                    "is a whiteout of '..', which is not a name");
        }
        assertThat(outside.resolve("secret")).exists();
    }

    // ---- bundles --------------------------------------------------------------------------------

    @Test
    void bundleWithTheWrongSha256IsRefused() throws IOException {
        Path bundle = Files.write(dir.resolve("b.tar.zst"), bundle().zstd());
        assertRefused(() -> images.pullBundle(new ImageApi.BundlePullParams(bundle.toString(), "0".repeat(64), null), ctx()),
                ErrorCode.BAD_REQUEST, "bundle sha256 mismatch: expected " + "0".repeat(64));
    }

    @Test
    void bundleWithExtraEntriesIsRefused() throws Exception {
        Map<String, TestLayer> hostile = Map.of(
                "bundle entry 'README-" + marker + "' is not expected", bundle().file("README-" + marker, "hi"),
                "climbs out with '..'", bundle().file("../../../../../../../../tmp/" + marker, "pwned"),
                "is an absolute name", bundle().entry("/tmp/" + marker, TarConstants.LF_NORMAL, 0644, 0, 0, null, bytes("x"), Map.of()),
                "is a symbolic link", bundle().symlink("work-seed.ext4", outside.resolve("secret").toString()));
        for (Map.Entry<String, TestLayer> h : hostile.entrySet()) {
            Path file = Files.write(dir.resolve("hostile.tar.zst"), h.getValue().zstd());
            assertRefused(() -> images.pullBundle(new ImageApi.BundlePullParams(file.toString(), ImageBundleTest.sha256(file), null),
                    ctx()), ErrorCode.BAD_REQUEST, h.getKey());
            Files.delete(file);
        }
        assertThat(Path.of("/tmp/" + marker)).doesNotExist();
    }

    // ---- registries -----------------------------------------------------------------------------

    /**
     * The token service a registry names gets the registry's credentials. One on another host over
     * plain HTTP (127.0.0.2 here, the registry being 127.0.0.1) is refused before any request goes
     * there, so the credentials never cross to it in clear.
     */
    @Test
    void tokenRealmOnAnotherHostOverPlainHttpIsRefusedAndNeverSeesTheCredentials() throws IOException {
        assertThat(registry.storageHost()).as("the test needs 127.0.0.2 as a second loopback host").startsWith("127.0.0.2:");
        useCredentials("alice", "s3cret");
        registry.requireBearer("alice", "s3cret");
        registry.tokenRealm(registry.storageTokenRealm());

        assertPullRefused(List.of(bootable()), ErrorCode.OPERATION_FAILED,
                "names token service " + registry.storageTokenRealm() + ", which banger does not use");
        assertThat(registry.requests().stream().filter(r -> r.server().equals("storage")).toList())
                .as("requests to the other host").isEmpty();
    }

    @Test
    void tokenRealmOnTheRegistrysOwnHostStillWorks() throws IOException {
        useCredentials("alice", "s3cret");
        registry.requireBearer("alice", "s3cret");

        pull(List.of(bootable()));

        assertThat(registry.tokensIssued()).isPositive();
    }

    /**
     * Blob redirects to another host are normal (a CDN): followed, but the registry's Authorization
     * never goes with them. A redirect to another scheme than http(s) is refused.
     */
    @Test
    void blobRedirectToAnotherHostGetsNoAuthorizationAndOtherSchemesAreRefused() throws IOException {
        useCredentials("alice", "s3cret");
        registry.requireBearer("alice", "s3cret");
        TestLayer layer = bootable();
        TestImage image = serve(List.of(layer));
        String layerDigest = image.layers().getFirst().digest();
        registry.fault(layerDigest, FakeRegistry.Fault.REDIRECT);

        pull(image);

        List<FakeRegistry.Request> storage = registry.requests().stream().filter(r -> r.server().equals("storage")).toList();
        assertThat(storage).as("the blob came from the other host").isNotEmpty();
        assertThat(storage).allSatisfy(r -> assertThat(r.authorization()).as("Authorization sent to " + r.path()).isNull());
        assertThat(registry.requests("/blobs/").stream().filter(r -> r.server().equals("registry")))
                .as("the registry itself got the token").allSatisfy(r -> assertThat(r.authorization()).startsWith("Bearer token-"));
    }

    /**
     * A registry reached over HTTPS that redirects a blob to plain HTTP is refused: the download
     * would be open to anyone on the path. The registry here is an HTTPS server on loopback, named
     * by its IPv4-mapped IPv6 address ::ffff:7f00:1 (banger speaks plain HTTP to names it knows as loopback), with
     * a throwaway certificate made by keytool and trusted for this test only.
     */
    @Test
    void blobRedirectFromHttpsToPlainHttpIsRefused() throws Exception {
        TestImage image = serve(List.of(bootable()));
        String layerDigest = image.layers().getFirst().digest();
        SSLContext tls = throwawayTls();
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        https.createContext("/", x -> {
            try (x) {
                String path = x.getRequestURI().getPath();
                String last = path.substring(path.lastIndexOf('/') + 1);
                if (last.equals(layerDigest)) {
                    x.getResponseHeaders().add("Location", "http://" + registry.storageHost() + path);
                    x.sendResponseHeaders(307, -1);
                    return;
                }
                byte[] body = path.contains("/manifests/") ? image.manifest() : image.blobs().get(last);
                x.getResponseHeaders().add("Content-Type", path.contains("/manifests/") ? image.mediaType() : "application/octet-stream");
                x.sendResponseHeaders(200, body.length);
                x.getResponseBody().write(body);
            }
        });
        https.start();
        SSLContext before = SSLContext.getDefault();
        SSLContext.setDefault(tls); // RegistryClient's HttpClient takes the default context when it is built
        try {
            String ref = "[::ffff:7f00:1]:" + https.getAddress().getPort() + "/evil:" + tag(image);
            assertRefused(() -> images.pull(new ImageApi.PullParams(ref, "evil", null, null), ctx()), ErrorCode.OPERATION_FAILED,
                    "redirected /v2/evil/blobs/" + layerDigest + " to http://127.0.0.2, which banger does not follow (it never"
                            + " downgrades HTTPS to HTTP)");
        } finally {
            SSLContext.setDefault(before);
            https.stop(0);
        }
        assertThat(registry.requests()).as("requests that reached the plain-HTTP hosts").isEmpty();
    }

    @Test
    void blobRedirectToAnotherSchemeIsRefused() {
        TestImage image = serve(List.of(bootable()));
        String layerDigest = image.layers().getFirst().digest();
        for (String location : List.of("file:///etc/passwd", "ftp://" + registry.storageHost() + "/blob", "jar:file:/x!/y")) {
            registry.redirect(layerDigest, location);
            assertPullRefused(image, ErrorCode.OPERATION_FAILED, "which banger does not follow");
        }
    }

    @Test
    void manifestDeclaringALayerSmallerThanItIsIsRefusedOneByteOver() {
        byte[] layer = bootable().gzip();
        TestImage liar = withLayerSize(TestImage.image(List.of(layer), MediaTypes.OCI_LAYER_GZIP), layer.length - 1);

        assertPullRefused(liar, ErrorCode.OPERATION_FAILED, "is longer than the " + (layer.length - 1) + " bytes its manifest declares");
    }

    @Test
    void manifestDeclaringALayerLargerThanItIsIsRefused() {
        byte[] layer = bootable().gzip();
        long declared = 1L << 40; // a terabyte: nothing is reserved for it up front
        TestImage liar = withLayerSize(TestImage.image(List.of(layer), MediaTypes.OCI_LAYER_GZIP), declared);

        assertPullRefused(liar, ErrorCode.OPERATION_FAILED, "ended after " + layer.length + " of " + declared + " bytes");
    }

    /**
     * A gzip layer of a few MiB that expands to 8 GiB of zeros: refused once the image passes
     * max_unpacked_image_size (256 MiB here), naming the cap and the layer, long before the tmpfs
     * fills.
     */
    @Test
    void gzipBombIsRefusedAtTheUnpackedSizeCap() {
        openService(Config.under(dir.resolve("banger")).withUnpackLimits(new UnpackLimits(256L << 20, UnpackLimits.DEFAULT_MAX_ENTRIES)));
        byte[] bomb = gzipBomb("bomb-" + marker, (8L << 30) - 1);
        assertThat(bomb.length).as("compressed size").isLessThan(16 << 20);
        TestImage image = TestImage.image(List.of(bootable().gzip(), bomb), MediaTypes.OCI_LAYER_GZIP);

        assertPullRefused(image, ErrorCode.BAD_REQUEST, "layer " + image.layers().get(1).digest()
                + " unpacks the image to more than 256M (268435456 bytes), over the cap max_unpacked_image_size");
    }

    /**
     * A sparse tar entry (PAX format 1.0) declaring 2 GiB (the most the tar reader accepts per
     * entry; a layer can hold any number) of which one byte is stored: the holes come out of no
     * compressed byte at all, so they count against the cap before anything is written.
     */
    @Test
    void sparseFileBombIsRefusedAtTheUnpackedSizeCap() {
        openService(Config.under(dir.resolve("banger")).withUnpackLimits(new UnpackLimits(256L << 20, UnpackLimits.DEFAULT_MAX_ENTRIES)));
        String name = "sparse-" + marker;
        byte[] map = new byte[512 + 1];
        byte[] text = "1\n0\n1\n".getBytes(StandardCharsets.US_ASCII); // one segment: offset 0, 1 byte
        System.arraycopy(text, 0, map, 0, text.length);
        map[512] = 'x';
        TestLayer layer = bootable().paxHeader(Map.of("GNU.sparse.major", bytes("1"), "GNU.sparse.minor", bytes("0"),
                        "GNU.sparse.name", bytes(name), "GNU.sparse.realsize", bytes(Integer.toString(Integer.MAX_VALUE))))
                .entry("GNUSparseFile.0/" + name, TarConstants.LF_NORMAL, 0644, 0, 0, null, map, Map.of());
        TestImage image = TestImage.image(List.of(layer.gzip()), MediaTypes.OCI_LAYER_GZIP);

        assertPullRefused(image, ErrorCode.BAD_REQUEST, "layer " + image.layers().getFirst().digest()
                + " unpacks the image to more than 256M (268435456 bytes), over the cap max_unpacked_image_size");
    }

    @Test
    void layerOfMillionsOfEntriesIsRefusedAtTheEntryCap() {
        openService(Config.under(dir.resolve("banger")).withUnpackLimits(new UnpackLimits(UnpackLimits.DEFAULT_MAX_BYTES, 500)));
        TestLayer many = new TestLayer();
        for (int i = 0; i < 600; i++) {
            many.file("e-" + marker + "-" + i, "");
        }
        TestImage image = TestImage.image(List.of(bootable().gzip(), many.gzip()), MediaTypes.OCI_LAYER_GZIP);

        assertPullRefused(image, ErrorCode.BAD_REQUEST, "layer " + image.layers().get(1).digest()
                + " unpacks the image to more than 500 files, directories and links, over the cap max_unpacked_image_entries");
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** An otherwise valid layer (an SSH server, so a pull gets as far as it can), marked as this run's. */
    private TestLayer bootable() {
        return new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755).file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0)
                .dir("etc", 0755).file("etc/" + marker, "this run");
    }

    private TestLayer bundle() {
        return new TestLayer().file("manifest.json", ImageBundleTest.manifest("b-" + marker.substring(8, 16), "k1"))
                .file("rootfs.ext4", "not read: the bundle is refused first");
    }

    private TestImage serve(List<TestLayer> layers) {
        TestImage image = TestImage.image(layers.stream().map(TestLayer::gzip).toList(), MediaTypes.OCI_LAYER_GZIP);
        serve(image);
        return image;
    }

    private void serve(TestImage image) {
        registry.serve("evil", tag(image), image);
        servedBlobs.addAll(image.blobs().keySet().stream().map(d -> d.substring("sha256:".length())).toList());
    }

    private static String tag(TestImage image) {
        return "t" + image.digest().substring(7, 19);
    }

    private ImageInfo pull(List<TestLayer> layers) {
        return pull(serve(layers));
    }

    private ImageInfo pull(TestImage image) {
        serve(image);
        return images.pull(new ImageApi.PullParams(registry.host() + "/evil:" + tag(image), "evil-" + tag(image), null, null), ctx());
    }

    private void assertPullRefused(List<TestLayer> layers, ErrorCode code, String message) {
        assertPullRefused(TestImage.image(layers.stream().map(TestLayer::gzip).toList(), MediaTypes.OCI_LAYER_GZIP), code, message);
    }

    private void assertPullRefused(TestImage image, ErrorCode code, String message) {
        assertRefused(() -> pull(image), code, message);
    }

    private void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorCode code, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code))
                .hasMessageContaining(message);
        assertThat(store.images().list()).as("image rows").isEmpty();
        assertThat(tree(layout.stateDir())).as("the state dir, compared with before the pull").isEqualTo(stateBefore);
        Map<String, String> cache = tree(layout.cacheDir());
        cacheBefore.forEach((path, what) -> assertThat(cache).as("the cache keeps what it had").containsEntry(path, what));
        cache.keySet().removeAll(cacheBefore.keySet());
        assertThat(cache.entrySet()).as("new in the cache: the image's own verified blobs only").allSatisfy(e ->
                assertThat(e.getValue().equals("dir") || servedBlobs.contains(Path.of(e.getKey()).getFileName().toString()))
                        .as(e.getKey()).isTrue());
        assertNothingOutside();
    }

    /** No name carrying this run's marker outside the image (and the host directory the attacks aim at). */
    private void assertNothingOutside() {
        List<Path> found = new ArrayList<>();
        findMarker(dir, found, Integer.MAX_VALUE);
        findMarker(SHM, found, Integer.MAX_VALUE);
        findMarker(Path.of("/tmp"), found, 2);
        findMarker(Path.of("/dev"), found, 1);
        found.removeIf(outside::equals); // the target itself (found through the test dir and through /tmp)
        assertThat(found).as("files named by the hostile image, outside the image").isEmpty();
        assertThat(outside.toFile().list()).as("the targeted host directory").containsExactly("secret");
        assertThat(layout.stagingDir().toFile().list()).as("staging").isEmpty();
    }

    private void findMarker(Path top, List<Path> found, int depth) {
        walk(top, depth, (p, attrs) -> {
            if (p.getFileName() != null && p.getFileName().toString().contains(marker)) {
                found.add(p);
            }
        });
    }

    private static List<Path> setuidFiles(Path top) {
        // Only the test's own directory: other engineers' pulls may unpack setuid binaries on /dev/shm meanwhile.
        List<Path> found = new ArrayList<>();
        walk(top, Integer.MAX_VALUE, (p, attrs) -> {
            try {
                if (attrs.isRegularFile() && ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 06000) != 0) {
                    found.add(p);
                }
            } catch (IOException e) {
                // gone meanwhile (another process's scratch tree)
            }
        });
        return found;
    }

    /** relative path -> "dir", "link" or "file SIZE", for every entry under {@code top}; the database files left out. */
    private static Map<String, String> tree(Path top) {
        Map<String, String> out = new TreeMap<>();
        walk(top, Integer.MAX_VALUE, (p, a) -> {
            String rel = top.relativize(p).toString();
            if (!rel.startsWith("banger.db")) {
                out.put(rel, a.isDirectory() ? "dir" : a.isSymbolicLink() ? "link" : "file " + a.size());
            }
        });
        return out;
    }

    private interface Visit {
        void accept(Path p, BasicFileAttributes attrs);
    }

    /** Walks without following links; files of other processes vanishing or unreadable meanwhile are skipped. */
    private static void walk(Path top, int depth, Visit visit) {
        if (!Files.isDirectory(top)) {
            return;
        }
        try {
            Files.walkFileTree(top, Set.of(), depth, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (!d.equals(top)) {
                        visit.accept(d, attrs);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    visit.accept(f, attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    if (e instanceof NoSuchFileException || e instanceof AccessDeniedException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A self-signed certificate for 127.0.0.1 (keytool, valid two days), as server key and sole trust anchor. */
    private SSLContext throwawayTls() throws Exception {
        Path keystore = dir.resolve("tls.p12");
        char[] password = "throwaway".toCharArray();
        RUNNER.run(Command.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "registry", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=registry",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", new String(password), "-keypass", new String(password)));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keystore)) {
            ks.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(ks, password);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(ks);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return tls;
    }

    /** Basic credentials for the fake registry, in a docker config.json, as registry_auth_file. */
    private void useCredentials(String user, String password) throws IOException {
        Path auth = dir.resolve("docker-config.json");
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Files.writeString(auth, "{\"auths\": {\"" + registry.host() + "\": {\"auth\": \"" + basic + "\"}}}");
        Config base = Config.under(dir.resolve("banger"));
        openService(new Config(base.stateDir(), base.cacheDir(), base.runtimeDir(), base.socketPath(), base.logLevel(), auth,
                List.of()));
    }

    /** The same image with its (only, or last) layer's declared size changed; the manifest digest follows. */
    private static TestImage withLayerSize(TestImage image, long size) {
        String manifest = new String(image.manifest(), StandardCharsets.UTF_8);
        Descriptor layer = image.layers().getLast();
        String lied = manifest.replace("\"size\" : " + layer.size() + "\n", "\"size\" : " + size + "\n");
        assertThat(lied).as("the manifest names the layer's size").isNotEqualTo(manifest);
        byte[] bytes = lied.getBytes(StandardCharsets.UTF_8);
        List<Descriptor> layers = new ArrayList<>(image.layers());
        layers.set(layers.size() - 1, new Descriptor(layer.mediaType(), layer.digest(), size));
        return new TestImage(image.mediaType(), bytes, TestImage.sha256(bytes), image.config(), layers, image.blobs(),
                image.settings(), List.of());
    }

    /**
     * A gzip layer holding one tar entry of {@code size} zero bytes, built from gzip members
     * (concatenated members are one valid gzip stream): the header, then the same 64 MiB of
     * compressed zeros again and again. Never inflated here, so it costs only its compressed size.
     */
    private static byte[] gzipBomb(String name, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(size);
        entry.setMode(0644);
        byte[] header = new byte[512];
        entry.writeEntryHeader(header);
        int chunk = 64 << 20;
        byte[] zeros = gzip(new byte[chunk]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(gzip(header));
        for (long n = 0; n < size; n += chunk) {
            out.writeBytes(zeros);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }
}
