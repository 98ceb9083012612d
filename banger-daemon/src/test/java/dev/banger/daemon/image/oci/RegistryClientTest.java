package dev.banger.daemon.image.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.image.ImageReference;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.FakeRegistry.Fault;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.image.testing.TestRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RegistryClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Quick retries, so that the tests of failures that stay failures end soon. */
    static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(5));

    static byte[] gzipLayer(String name, String content) {
        return new TestLayer().dir("etc", 0755).file("etc/" + name, content).gzip();
    }

    static RegistryClient client() {
        return new RegistryClient(RegistryCredentials.none(), Set.of(), List.of(), TIMEOUT, FAST);
    }

    static RegistryClient client(Path dockerConfig) {
        return new RegistryClient(RegistryCredentials.fromDockerConfig(dockerConfig), Set.of(), List.of(), TIMEOUT, FAST);
    }

    static Path dockerConfig(Path dir, String host, String user, String password) throws IOException {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Path f = dir.resolve("config-" + System.nanoTime() + ".json");
        Files.writeString(f, "{\"auths\": {\"" + host + "\": {\"auth\": \"" + auth + "\"}}}");
        return f;
    }

    static void assertError(ThrowingCallable call, Class<? extends RegistryException> type, String... messageParts) {
        assertThatThrownBy(call).isInstanceOf(type).message().contains(messageParts);
    }

    static List<String> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ------------------------------------------------------------ against docker-registry

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AgainstDockerRegistry {

        private TestRegistry registry;
        private RegistryClient client;

        @BeforeAll
        void startRegistry(@TempDir Path dir) {
            registry = TestRegistry.start(dir);
        }

        @AfterAll
        void stopRegistry() {
            if (registry != null) {
                registry.close();
            }
        }

        @BeforeEach
        void newClient() {
            client = client();
        }

        @AfterEach
        void closeClient() {
            client.close();
        }

        @Test
        void resolvesAndFetchesADockerV2Image(@TempDir Path tmp) throws IOException {
            List<byte[]> layers = List.of(gzipLayer("one", "first"), gzipLayer("two", "second"));
            TestImage.Config settings = TestImage.Config.linuxAmd64().with(List.of("PATH=/bin", "LANG=C.UTF-8"),
                    List.of("/entry.sh", "--flag"), List.of("serve", "--port=80"), "/srv", "app:app");
            TestImage image = TestImage.image(layers, MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.DOCKER_MANIFEST, settings);
            String digest = registry.push("team/app", "v1", image);

            ResolvedImage r = client.resolve(registry.ref("team/app:v1"));

            assertThat(digest).isEqualTo(image.digest());
            assertThat(r.manifestDigest()).isEqualTo(image.digest());
            assertThat(r.config()).isEqualTo(image.config());
            assertThat(r.config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
            assertThat(r.layers()).isEqualTo(image.layers());
            assertThat(r.os()).isEqualTo("linux");
            assertThat(r.architecture()).isEqualTo("amd64");
            assertThat(r.env()).containsExactly("PATH=/bin", "LANG=C.UTF-8");
            assertThat(r.entrypoint()).containsExactly("/entry.sh", "--flag");
            assertThat(r.cmd()).containsExactly("serve", "--port=80");
            assertThat(r.workingDir()).isEqualTo("/srv");
            assertThat(r.user()).isEqualTo("app:app");
            assertThat(r.layerBytes()).isEqualTo(layers.get(0).length + layers.get(1).length);

            for (int i = 0; i < layers.size(); i++) {
                Path dest = tmp.resolve("layer-" + i);
                AtomicLong progress = new AtomicLong();
                client.fetchBlob(r.ref(), r.layers().get(i), dest, progress::set);
                assertThat(dest).hasBinaryContent(layers.get(i));
                assertThat(progress.get()).isEqualTo(layers.get(i).length);
            }
            assertThat(filesIn(tmp)).containsExactly("layer-0", "layer-1");
        }

        @Test
        void resolvesOciImagesWithTarGzipAndZstdLayers(@TempDir Path tmp) {
            TestLayer content = new TestLayer().file("hello.txt", "hello");
            List<TestImage> images = List.of(
                    TestImage.image(List.of(content.tar()), MediaTypes.OCI_LAYER_TAR),
                    TestImage.image(List.of(content.gzip()), MediaTypes.OCI_LAYER_GZIP),
                    TestImage.image(List.of(content.zstd()), MediaTypes.OCI_LAYER_ZSTD));

            for (int i = 0; i < images.size(); i++) {
                TestImage img = images.get(i);
                registry.push("oci/app", "v" + i, img);

                ResolvedImage r = client.resolve(registry.ref("oci/app:v" + i));
                Descriptor layer = r.layers().getFirst();
                Path dest = tmp.resolve("layer-" + i);
                client.fetchBlob(r.ref(), layer, dest, n -> { });

                assertThat(r.manifestDigest()).isEqualTo(img.digest());
                assertThat(r.config().mediaType()).isEqualTo(MediaTypes.OCI_CONFIG);
                assertThat(r.layers()).isEqualTo(img.layers());
                assertThat(dest).hasBinaryContent(img.blobs().get(layer.digest()));
            }
        }

        @Test
        void aPinnedDigestResolvesAndTheTagIsNotConsulted() {
            TestImage image = TestImage.image(List.of(gzipLayer("p", "pinned")), MediaTypes.OCI_LAYER_GZIP);
            String digest = registry.push("pinned/app", "moving", image);
            registry.push("pinned/app", "moving", TestImage.image(List.of(gzipLayer("p", "newer")), MediaTypes.OCI_LAYER_GZIP));

            ResolvedImage r = client.resolve(registry.ref("pinned/app:moving@" + digest));

            assertThat(r.manifestDigest()).isEqualTo(digest);
            assertThat(r.layers()).isEqualTo(image.layers());
        }

        @Test
        void anIndexResolvesToItsLinuxAmd64Image() {
            TestImage amd64 = TestImage.image(List.of(gzipLayer("arch", "amd64")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.linuxAmd64());
            TestImage arm64 = TestImage.image(List.of(gzipLayer("arch", "arm64")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "arm64"));
            TestImage index = TestImage.index(MediaTypes.OCI_INDEX, List.of(arm64, amd64));
            registry.push("multi/app", "latest", index);

            ResolvedImage r = client.resolve(registry.ref("multi/app"));

            assertThat(r.manifestDigest()).isEqualTo(amd64.digest()).isNotEqualTo(index.digest());
            assertThat(r.layers()).isEqualTo(amd64.layers());
            assertThat(r.architecture()).isEqualTo("amd64");

            ResolvedImage byIndexDigest = client.resolve(registry.ref("multi/app@" + index.digest()));
            assertThat(byIndexDigest.manifestDigest()).isEqualTo(amd64.digest());
        }

        @Test
        void aDockerManifestListResolvesToItsLinuxAmd64Image() {
            TestImage amd64 = TestImage.image(List.of(gzipLayer("a", "x")), MediaTypes.DOCKER_LAYER_GZIP,
                    MediaTypes.DOCKER_MANIFEST, TestImage.Config.linuxAmd64());
            TestImage arm = TestImage.image(List.of(gzipLayer("a", "y")), MediaTypes.DOCKER_LAYER_GZIP,
                    MediaTypes.DOCKER_MANIFEST, TestImage.Config.of("linux", "arm"));
            registry.push("list/app", "v1", TestImage.index(MediaTypes.DOCKER_MANIFEST_LIST, List.of(amd64, arm)));

            assertThat(client.resolve(registry.ref("list/app:v1")).manifestDigest()).isEqualTo(amd64.digest());
        }

        @Test
        void anIndexWithoutLinuxAmd64IsNotFoundAndListsThePlatformsItHas() {
            TestImage arm64 = TestImage.image(List.of(gzipLayer("a", "arm")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "arm64"));
            TestImage s390x = TestImage.image(List.of(gzipLayer("a", "s390x")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "s390x"));
            registry.push("armonly/app", "v1", TestImage.index(MediaTypes.OCI_INDEX, List.of(arm64, s390x)));

            assertError(() -> client.resolve(registry.ref("armonly/app:v1")), NoMatchingPlatformException.class,
                    registry.host() + "/armonly/app:v1 has no linux/amd64 image (available: linux/arm64, linux/s390x)");
        }

        @Test
        void aSinglePlatformImageForAnotherArchitectureIsNotFound() {
            registry.push("armsingle/app", "v1", TestImage.image(List.of(gzipLayer("a", "arm")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "arm64")));

            assertError(() -> client.resolve(registry.ref("armsingle/app:v1")), NoMatchingPlatformException.class,
                    "armsingle/app:v1 is a linux/arm64 image; banger runs linux/amd64 images");
        }

        @Test
        void anUnknownTagIsNotFoundAndTheTagsThereAreNamed() {
            registry.push("tags/app", "v1", TestImage.image(List.of(gzipLayer("a", "1")), MediaTypes.OCI_LAYER_GZIP));
            registry.push("tags/app", "v2", TestImage.image(List.of(gzipLayer("a", "2")), MediaTypes.OCI_LAYER_GZIP));

            assertError(() -> client.resolve(registry.ref("tags/app:v3")), ManifestNotFoundException.class,
                    "tag 'v3' not found in " + registry.host() + "/tags/app (it has v1, v2)");
        }

        @Test
        void anUnknownRepositoryIsNotFound() {
            assertError(() -> client.resolve(registry.ref("nobody/here:v1")), ManifestNotFoundException.class,
                    "repository nobody/here not found in " + registry.host());
        }

        @Test
        void anUnknownDigestIsNotFound() {
            registry.push("digests/app", "v1", TestImage.image(List.of(gzipLayer("a", "1")), MediaTypes.OCI_LAYER_GZIP));
            String missing = "sha256:" + "0".repeat(64);

            assertError(() -> client.resolve(registry.ref("digests/app@" + missing)), ManifestNotFoundException.class,
                    "manifest " + missing + " not found in " + registry.host() + "/digests/app");
        }

        @Test
        void aPlainHttpRegistryThatIsNotLoopbackOrInsecureIsOnlySpokenToInHttps() {
            // [::ffff:7f00:1] is 127.0.0.1 written as an IPv4-mapped IPv6 literal: no DNS, loopback traffic, but not
            // a name banger treats as loopback, so it gets HTTPS, which docker-registry (plain HTTP here) cannot speak.
            registry.push("tls/app", "v1", TestImage.image(List.of(gzipLayer("t", "tls")), MediaTypes.OCI_LAYER_GZIP));
            String mapped = "[::ffff:7f00:1]:" + registry.host().substring(registry.host().lastIndexOf(':') + 1);
            ImageReference ref = ImageReference.parse(mapped + "/tls/app:v1");

            assertError(() -> client.resolve(ref), RegistryUnreachableException.class,
                    "cannot reach registry " + mapped + ": TLS failed", "(if " + mapped + " serves plain HTTP, list it in insecure_registries)");

            try (RegistryClient insecure = new RegistryClient(null, Set.of(mapped), TIMEOUT)) {
                assertThat(insecure.resolve(ref).layers()).hasSize(1);
            }
        }

        @Test
        void anUnknownBlobIsNotFoundAndLeavesNothing(@TempDir Path tmp) throws IOException {
            registry.push("blobs/app", "v1", TestImage.image(List.of(gzipLayer("a", "1")), MediaTypes.OCI_LAYER_GZIP));
            Descriptor missing = new Descriptor(MediaTypes.OCI_LAYER_GZIP, "sha256:" + "1".repeat(64), 10);

            assertError(() -> client.fetchBlob(registry.ref("blobs/app:v1"), missing, tmp.resolve("blob"), n -> { }),
                    BlobNotFoundException.class, "blob " + missing.digest() + " not found in " + registry.host() + "/blobs/app");
            assertThat(filesIn(tmp)).isEmpty();
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AgainstAnHtpasswdRegistry {

        private TestRegistry registry;
        private TestImage image;

        @BeforeAll
        void startRegistry(@TempDir Path dir) {
            registry = TestRegistry.startWithHtpasswd(dir, "alice", "s3cret");
            image = TestImage.image(List.of(gzipLayer("private", "data")), MediaTypes.OCI_LAYER_GZIP);
            registry.push("private/app", "v1", image);
        }

        @AfterAll
        void stopRegistry() {
            if (registry != null) {
                registry.close();
            }
        }

        @Test
        void withoutCredentialsAccessIsRefusedWithAHint() {
            try (RegistryClient client = client()) {
                assertError(() -> client.resolve(registry.ref("private/app:v1")), RegistryUnauthorizedException.class,
                        "registry " + registry.host() + " refused access to private/app (add credentials to your ~/.docker/config.json");
            }
        }

        @Test
        void wrongCredentialsAreRefusedAndNamed(@TempDir Path tmp) throws IOException {
            try (RegistryClient client = client(dockerConfig(tmp, registry.host(), "alice", "wrong"))) {
                assertError(() -> client.resolve(registry.ref("private/app:v1")), RegistryUnauthorizedException.class,
                        "refused access to private/app with the credentials banger has for " + registry.host() + " (from your ~/.docker/config.json");
            }
        }

        @Test
        void credentialsFromADockerConfigJsonPullTheImage(@TempDir Path tmp) throws IOException {
            try (RegistryClient client = client(dockerConfig(tmp, registry.host(), "alice", "s3cret"))) {
                ResolvedImage r = client.resolve(registry.ref("private/app:v1"));
                Path dest = tmp.resolve("layer");
                client.fetchBlob(r.ref(), r.layers().getFirst(), dest, n -> { });

                assertThat(r.manifestDigest()).isEqualTo(image.digest());
                assertThat(dest).hasBinaryContent(image.blobs().get(image.layers().getFirst().digest()));
            }
        }

        @Test
        void usernameAndPasswordFieldsAndUrlKeysWorkToo(@TempDir Path tmp) throws IOException {
            Path config = tmp.resolve("config.json");
            Files.writeString(config, """
                    {"auths": {"http://%s/v1/": {"username": "alice", "password": "s3cret"}}, "credsStore": "desktop"}
                    """.formatted(registry.host()));
            try (RegistryClient client = client(config)) {
                assertThat(client.resolve(registry.ref("private/app:v1")).manifestDigest()).isEqualTo(image.digest());
            }
        }
    }

    // ------------------------------------------------------------ unreachable registries

    @Test
    void aClosedPortIsUnreachable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (RegistryClient client = client()) {
            assertError(() -> client.resolve(ImageReference.parse("127.0.0.1:" + port + "/app:v1")), RegistryUnreachableException.class,
                    "cannot reach registry 127.0.0.1:" + port + ": connection refused");
        }
    }

    @Test
    void anUnknownHostIsUnreachable() {
        try (RegistryClient client = client()) {
            assertError(() -> client.resolve(ImageReference.parse("nonexistent.invalid/app:v1")), RegistryUnreachableException.class,
                    "cannot reach registry nonexistent.invalid: unknown host");
        }
    }

    @Test
    void httpsUnlessLoopbackOrListedAsInsecure() {
        try (RegistryClient plain = client();
             RegistryClient insecure = new RegistryClient(null, Set.of("insecure.example:5000", "lab.example"), TIMEOUT)) {
            assertThat(plain.baseUri(ImageReference.parse("ghcr.io/o/r"))).hasToString("https://ghcr.io");
            assertThat(plain.baseUri(ImageReference.parse("debian"))).hasToString("https://registry-1.docker.io");
            assertThat(plain.baseUri(ImageReference.parse("localhost:5000/x"))).hasToString("http://localhost:5000");
            assertThat(plain.baseUri(ImageReference.parse("127.0.0.1:5000/x"))).hasToString("http://127.0.0.1:5000");
            assertThat(plain.baseUri(ImageReference.parse("[::1]:5000/x"))).hasToString("http://[::1]:5000");
            assertThat(plain.baseUri(ImageReference.parse("insecure.example:5000/x"))).hasToString("https://insecure.example:5000");
            assertThat(insecure.baseUri(ImageReference.parse("insecure.example:5000/x"))).hasToString("http://insecure.example:5000");
            assertThat(insecure.baseUri(ImageReference.parse("insecure.example:5001/x"))).hasToString("https://insecure.example:5001");
            assertThat(insecure.baseUri(ImageReference.parse("lab.example:8080/x"))).hasToString("http://lab.example:8080");
        }
    }

    // ------------------------------------------------------------ against the fake registry

    @Nested
    class AgainstTheFakeRegistry {

        private final FakeRegistry fake = new FakeRegistry();
        private final byte[] layer = gzipLayer("big", "x".repeat(200_000) + new String(new char[50_000]).replace('\0', 'y'));
        private final TestImage image = TestImage.image(List.of(gzipLayer("small", "hello"), layer), MediaTypes.OCI_LAYER_GZIP);
        private final Descriptor bigLayer = image.layers().get(1);
        @TempDir
        Path tmp;

        @AfterEach
        void stop() {
            fake.close();
        }

        @Test
        void aBearerChallengeIsAnsweredWithATokenFetchedWithTheConfiguredCredentials() throws IOException {
            fake.serve("secure/app", "v1", image).requireBearer("bob", "hunter2");

            try (RegistryClient client = client(dockerConfig(tmp, fake.host(), "bob", "hunter2"))) {
                ResolvedImage r = client.resolve(fake.ref("secure/app:v1"));
                for (Descriptor d : r.layers()) {
                    client.fetchBlob(r.ref(), d, tmp.resolve(Digests.hex(d.digest())), n -> { });
                }

                assertThat(r.manifestDigest()).isEqualTo(image.digest());
                assertThat(tmp.resolve(Digests.hex(bigLayer.digest()))).hasBinaryContent(layer);
            }
            List<FakeRegistry.Request> tokens = fake.requests("/token");
            assertThat(tokens).as("one token for the whole pull").hasSize(1);
            assertThat(tokens.getFirst().authorization())
                    .isEqualTo("Basic " + Base64.getEncoder().encodeToString("bob:hunter2".getBytes(StandardCharsets.UTF_8)));
            assertThat(tokens.getFirst().query()).contains("service=fake-registry").contains("scope=repository:secure/app:pull");
            List<FakeRegistry.Request> registryRequests = fake.requests("/v2/secure/app/");
            assertThat(registryRequests.getFirst().authorization()).as("the first request is the one challenged").isNull();
            assertThat(registryRequests.subList(1, registryRequests.size()))
                    .extracting(FakeRegistry.Request::authorization).containsOnly("Bearer token-1");
        }

        @Test
        void anonymousTokensNeedNoCredentials() {
            fake.serve("public/app", "v1", image).requireBearer(null, null);

            try (RegistryClient client = client()) {
                assertThat(client.resolve(fake.ref("public/app:v1")).manifestDigest()).isEqualTo(image.digest());
            }
            assertThat(fake.requests("/token")).extracting(FakeRegistry.Request::authorization).containsExactly((String) null);
        }

        @Test
        void aTokenServiceRefusingTheCredentialsIsUnauthorized() throws IOException {
            fake.serve("secure/app", "v1", image).requireBearer("bob", "hunter2");

            try (RegistryClient client = client(dockerConfig(tmp, fake.host(), "bob", "wrong"))) {
                assertError(() -> client.resolve(fake.ref("secure/app:v1")), RegistryUnauthorizedException.class,
                        "registry " + fake.host() + " refused access to secure/app with the credentials banger has for " + fake.host());
            }
        }

        @Test
        void aBlobWithTheWrongContentFailsVerificationAndLeavesNothing() throws IOException {
            fake.serve("app", "v1", image).fault(bigLayer.digest(), Fault.CORRUPT);
            Path dest = tmp.resolve("layer");

            try (RegistryClient client = client()) {
                assertError(() -> client.fetchBlob(fake.ref("app:v1"), bigLayer, dest, n -> { }), UnexpectedBlobDigestException.class,
                        "blob " + bigLayer.digest() + " from " + fake.host() + "/app failed verification (got sha256:");
            }
            assertThat(filesIn(tmp)).isEmpty();
        }

        @Test
        void aManifestWithTheWrongDigestFailsVerification() {
            fake.serve("app", "v1", image).fault("v1", Fault.CORRUPT);

            try (RegistryClient client = client()) {
                assertError(() -> client.resolve(fake.ref("app:v1")), UnexpectedBlobDigestException.class,
                        "manifest " + image.digest() + " from " + fake.host() + "/app failed verification (got sha256:");
            }
        }

        @Test
        void aTruncatedBlobNamesHowMuchArrivedAndLeavesNothing() throws IOException {
            fake.serve("app", "v1", image).fault(bigLayer.digest(), Fault.TRUNCATE);
            AtomicLong progress = new AtomicLong();

            try (RegistryClient client = client()) {
                assertThatThrownBy(() -> client.fetchBlob(fake.ref("app:v1"), bigLayer, tmp.resolve("layer"), progress::set))
                        .isInstanceOf(RegistryException.class)
                        .satisfies(e -> assertThat(e.getMessage()).startsWith("blob " + bigLayer.digest() + " from " + fake.host()
                                + "/app ended after " + progress.get() + " of " + bigLayer.size() + " bytes"));
            }
            assertThat(progress.get()).isBetween(1L, bigLayer.size() - 1);
            assertThat(filesIn(tmp)).isEmpty();
        }

        @Test
        void aServerErrorIsReportedWithItsStatus() {
            fake.serve("app", "v1", image).fault("v1", Fault.SERVER_ERROR);

            try (RegistryClient client = client()) {
                assertError(() -> client.resolve(fake.ref("app:v1")), RegistryException.class,
                        "registry " + fake.host() + " answered 500 for tag 'v1' in app: the storage backend is down");
            }
        }

        @Test
        void aRedirectToAnotherHostIsFollowedWithoutTheAuthorizationHeader() throws IOException {
            fake.serve("secure/app", "v1", image).requireBearer(null, null);
            fake.fault(bigLayer.digest(), Fault.REDIRECT);
            Path dest = tmp.resolve("layer");

            try (RegistryClient client = client()) {
                client.fetchBlob(fake.ref("secure/app:v1"), bigLayer, dest, n -> { });
            }

            assertThat(dest).hasBinaryContent(layer);
            List<FakeRegistry.Request> atRegistry = fake.requests("/blobs/" + bigLayer.digest()).stream()
                    .filter(r -> r.server().equals("registry")).toList();
            List<FakeRegistry.Request> atStorage = fake.requests().stream().filter(r -> r.server().equals("storage")).toList();
            assertThat(atRegistry).last().extracting(FakeRegistry.Request::authorization).isEqualTo("Bearer token-1");
            assertThat(atStorage).hasSize(1);
            assertThat(atStorage.getFirst().authorization()).as("Authorization sent to " + fake.storageHost()).isNull();
            assertThat(atStorage.getFirst().query()).isEqualTo("signature=abc");
        }

        @Test
        void aStalledDownloadFailsAfterTheTimeoutAndLeavesNothing() throws IOException {
            fake.serve("app", "v1", image).fault(bigLayer.digest(), Fault.STALL);
            long started = System.nanoTime();

            try (RegistryClient client = new RegistryClient(null, Set.of(), List.of(), Duration.ofMillis(500), FAST)) {
                assertError(() -> client.fetchBlob(fake.ref("app:v1"), bigLayer, tmp.resolve("layer"), n -> { }),
                        RegistryException.class, "blob " + bigLayer.digest() + " from " + fake.host() + "/app stalled: no data for 500 ms after ");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(Thread.currentThread().isInterrupted()).as("the watchdog's interrupt is not left behind").isFalse();
            assertThat(filesIn(tmp)).isEmpty();
        }

        @Test
        void interruptingADownloadCancelsItPromptlyAndLeavesNothing() throws Exception {
            fake.serve("app", "v1", image).fault(bigLayer.digest(), Fault.STALL);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            AtomicLong progress = new AtomicLong();
            try (RegistryClient client = client()) {
                Thread t = Thread.ofPlatform().start(() -> {
                    try {
                        client.fetchBlob(fake.ref("app:v1"), bigLayer, tmp.resolve("layer"), progress::set);
                    } catch (Throwable e) {
                        thrown.set(e);
                    }
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                });
                while (progress.get() == 0) {
                    Thread.sleep(5);
                }
                long started = System.nanoTime();
                t.interrupt();
                t.join(Duration.ofSeconds(5));

                assertThat(t.isAlive()).isFalse();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            }
            assertThat(thrown.get()).isInstanceOf(RegistryCancelledException.class)
                    .hasMessageContaining("download of blob " + bigLayer.digest() + " from " + fake.host() + "/app was cancelled");
            assertThat(stillInterrupted).isTrue();
            assertThat(filesIn(tmp)).isEmpty();
        }

        @Test
        void anUnknownLayerMediaTypeIsRejectedByName() {
            TestImage helm = TestImage.image(List.of("chart".getBytes(StandardCharsets.UTF_8)),
                    "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
            TestImage foreign = TestImage.image(List.of(gzipLayer("w", "windows")),
                    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", MediaTypes.DOCKER_MANIFEST, TestImage.Config.linuxAmd64());
            fake.serve("charts/x", "v1", helm).serve("win/x", "v1", foreign);

            try (RegistryClient client = client()) {
                assertError(() -> client.resolve(fake.ref("charts/x:v1")), RegistryException.class,
                        "has a layer of media type application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "which banger cannot unpack");
                assertError(() -> client.resolve(fake.ref("win/x:v1")), RegistryException.class,
                        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
            }
        }

        @Test
        void anImageWhoseConfigNamesNoPlatformIsRefusedLikeAForeignOne() {
            fake.serve("bare/x", "v1", TestImage.image(List.of(gzipLayer("b", "bare")), MediaTypes.OCI_LAYER_GZIP,
                    MediaTypes.OCI_MANIFEST, TestImage.Config.of("", "")));

            try (RegistryClient client = client()) {
                assertError(() -> client.resolve(fake.ref("bare/x:v1")), NoMatchingPlatformException.class,
                        "bare/x:v1 is a platform-less (its config names no os or architecture) image; banger runs linux/amd64 images");
            }
        }

        @Test
        void nonDistributableLayersAreFetchedFromTheRegistryLikeAnyOther() throws IOException {
            TestImage img = TestImage.image(List.of(gzipLayer("n", "nd")), MediaTypes.OCI_NONDISTRIBUTABLE_GZIP);
            fake.serve("nd/x", "v1", img);

            try (RegistryClient client = client()) {
                ResolvedImage r = client.resolve(fake.ref("nd/x:v1"));
                client.fetchBlob(r.ref(), r.layers().getFirst(), tmp.resolve("l"), n -> { });
            }
            assertThat(tmp.resolve("l")).hasBinaryContent(img.blobs().get(img.layers().getFirst().digest()));
        }
    }

    @Test
    void manyLayersCanBeFetchedInParallelWithOneClient(@TempDir Path tmp) throws Exception {
        List<byte[]> layers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            layers.add(gzipLayer("f" + i, "content " + i + "x".repeat(i * 10_000)));
        }
        TestImage image = TestImage.image(layers, MediaTypes.OCI_LAYER_GZIP);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = client()) {
            fake.serve("par/app", "v1", image).requireBearer(null, null);
            ResolvedImage r = client.resolve(fake.ref("par/app:v1"));
            List<Thread> threads = new ArrayList<>();
            for (Descriptor d : r.layers()) {
                threads.add(Thread.ofVirtual().start(() -> client.fetchBlob(r.ref(), d, tmp.resolve(Digests.hex(d.digest())), n -> { })));
            }
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < layers.size(); i++) {
                assertThat(tmp.resolve(Digests.hex(image.layers().get(i).digest()))).hasBinaryContent(layers.get(i));
            }
            assertThat(fake.tokensIssued()).isEqualTo(1);
        }
    }
}
