package dev.banger.daemon.image.oci;

import static dev.banger.daemon.image.oci.RegistryClientTest.gzipLayer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.config.RegistryMirror;
import dev.banger.core.image.ImageReference;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.FakeRegistry.Fault;
import dev.banger.daemon.image.testing.FaultyProxy;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls over a bad network: a connection reset mid-blob (a TCP proxy between client and a real
 * docker-registry), rate limiting and server errors (the fake registry), and registry mirrors.
 * Everything stays on loopback.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RegistryResilienceTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofSeconds(5));
    private static final Pattern RANGE = Pattern.compile("(?im)^Range: bytes=(\\d+)-$");

    @TempDir
    Path tmp;

    private static RegistryClient client(RetryPolicy retry, List<RegistryMirror> mirrors) {
        return new RegistryClient(RegistryCredentials.none(), Set.of(), mirrors, TIMEOUT, retry);
    }

    @Test
    void aConnectionResetInTheMiddleOfA100MbBlobIsResumedWithoutFetchingTheReceivedBytesAgain() throws IOException {
        byte[] big = new byte[100 << 20];
        new Random(13).nextBytes(big);
        TestImage image = TestImage.image(List.of(big), MediaTypes.OCI_LAYER_TAR);
        Descriptor layer = image.layers().getFirst();
        try (TestRegistry registry = TestRegistry.start(tmp.resolve("registry"));
             FaultyProxy proxy = new FaultyProxy(registry.host());
             RegistryClient client = client(QUICK, List.of())) {
            registry.push("big/app", "v1", image);
            ImageReference ref = ImageReference.parse(proxy.host() + "/big/app:v1");
            ResolvedImage resolved = client.resolve(ref);
            long before = proxy.downstreamBytes();
            proxy.resetAfter(50L << 20);
            Path dest = tmp.resolve("blob");
            AtomicLong progress = new AtomicLong();

            client.fetchBlob(resolved.ref(), layer, dest, progress::set);

            assertThat(Files.mismatch(dest, writeTo(tmp.resolve("expected"), big))).as("the blob as pushed").isEqualTo(-1L);
            assertThat(proxy.bytesBeforeReset()).as("the reset happened mid-blob").isEqualTo(50L << 20);
            List<Long> resumedAt = proxy.requestHeads().stream().map(RANGE::matcher).filter(Matcher::find)
                    .map(m -> Long.parseLong(m.group(1))).toList();
            assertThat(resumedAt).as("one resume, with a Range request").hasSize(1);
            // What the client had received (the proxy's 50 MB less what sat in socket buffers) is not sent again.
            long resumed = resumedAt.getFirst();
            assertThat(resumed).isBetween(30L << 20, 50L << 20);
            long carried = proxy.downstreamBytes() - before;
            assertThat(carried - big.length).as("bytes carried beyond the blob's size: those lost in buffers at the reset, plus headers")
                    .isLessThanOrEqualTo((50L << 20) - resumed + 16384);
            assertThat(progress.get()).isEqualTo(big.length);
        }
    }

    @Test
    void aRetryAfterOfA429IsHonoured() {
        TestImage image = TestImage.image(List.of(gzipLayer("a", "rate")), MediaTypes.OCI_LAYER_GZIP);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = client(QUICK, List.of())) {
            fake.serve("app", "v1", image).fault("v1", Fault.TOO_MANY_REQUESTS, 1);

            assertThat(client.resolve(fake.ref("app:v1")).manifestDigest()).isEqualTo(image.digest());

            List<FakeRegistry.Request> tries = fake.requests("/manifests/v1");
            assertThat(tries).hasSize(2);
            assertThat(Duration.ofNanos(tries.get(1).receivedNanos() - tries.get(0).receivedNanos()))
                    .as("the wait Retry-After: 1 asked for").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
    }

    @Test
    void aServerErrorIsRetriedABoundedNumberOfTimesThenReported() {
        TestImage image = TestImage.image(List.of(gzipLayer("a", "down")), MediaTypes.OCI_LAYER_GZIP);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = client(QUICK, List.of())) {
            fake.serve("app", "v1", image).fault("v1", Fault.SERVER_ERROR);

            assertThatThrownBy(() -> client.resolve(fake.ref("app:v1"))).isInstanceOf(RegistryException.class)
                    .hasMessage("registry " + fake.host() + " answered 500 for tag 'v1' in app: the storage backend is down (4 attempts)");
            assertThat(fake.requests("/manifests/v1")).hasSize(QUICK.attempts());
        }
    }

    @Test
    void aClientErrorIsNotRetried() {
        TestImage image = TestImage.image(List.of(gzipLayer("a", "x")), MediaTypes.OCI_LAYER_GZIP);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = client(QUICK, List.of())) {
            fake.serve("app", "v1", image);

            assertThatThrownBy(() -> client.resolve(fake.ref("app:v2"))).isInstanceOf(ManifestNotFoundException.class);
            assertThat(fake.requests("/manifests/v2")).hasSize(1);
        }
    }

    @Test
    void aServerThatIgnoresTheRangeRequestMakesTheDownloadStartOverCleanly() throws IOException {
        byte[] data = gzipLayer("big", "z".repeat(300_000) + new String(new Random(1).ints(100_000, 'a', 'z').toArray(), 0, 100_000));
        TestImage image = TestImage.image(List.of(data), MediaTypes.OCI_LAYER_GZIP);
        Descriptor layer = image.layers().getFirst();
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = client(QUICK, List.of())) {
            fake.serve("app", "v1", image).fault(layer.digest(), Fault.TRUNCATE, 1);
            Path dest = tmp.resolve("blob");

            client.fetchBlob(fake.ref("app:v1"), layer, dest, n -> { });

            assertThat(dest).hasBinaryContent(data);
            List<FakeRegistry.Request> tries = fake.requests("/blobs/" + layer.digest());
            assertThat(tries).extracting(FakeRegistry.Request::range).containsExactly(null, "bytes=" + data.length / 2 + "-");
            assertThat(tmp.resolve("blob.tmp")).doesNotExist();
        }
    }

    @Test
    void aMirrorThatHasTheImageServesIt() throws IOException {
        TestImage image = TestImage.image(List.of(gzipLayer("m", "mirrored")), MediaTypes.OCI_LAYER_GZIP);
        try (FakeRegistry origin = new FakeRegistry(); FakeRegistry mirror = new FakeRegistry();
             RegistryClient client = client(QUICK, List.of(RegistryMirror.of(origin.host(), "http://" + mirror.host())))) {
            origin.serve("team/app", "v1", image);
            mirror.serve("team/app", "v1", image);

            ResolvedImage r = client.resolve(origin.ref("team/app:v1"));
            client.fetchBlob(r.ref(), r.layers().getFirst(), tmp.resolve("layer"), n -> { });

            assertThat(r.manifestDigest()).isEqualTo(image.digest());
            assertThat(tmp.resolve("layer")).hasBinaryContent(image.blobs().get(image.layers().getFirst().digest()));
            assertThat(mirror.requests("/manifests/")).isNotEmpty();
            assertThat(mirror.requests("/blobs/")).hasSize(2); // config and layer
            assertThat(origin.requests()).as("the origin is not asked").isEmpty();
        }
    }

    @Test
    void whenTheMirrorIsDownOrLacksTheImageTheOriginServesIt() throws IOException {
        TestImage image = TestImage.image(List.of(gzipLayer("o", "origin")), MediaTypes.OCI_LAYER_GZIP);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (FakeRegistry origin = new FakeRegistry(); FakeRegistry emptyMirror = new FakeRegistry();
             RegistryClient client = client(QUICK, List.of(RegistryMirror.of(origin.host(), "http://127.0.0.1:" + closedPort),
                     RegistryMirror.of(origin.host(), "http://" + emptyMirror.host())))) {
            origin.serve("team/app", "v1", image);

            ResolvedImage r = client.resolve(origin.ref("team/app:v1"));
            client.fetchBlob(r.ref(), r.layers().getFirst(), tmp.resolve("layer"), n -> { });

            assertThat(r.manifestDigest()).isEqualTo(image.digest());
            assertThat(tmp.resolve("layer")).hasBinaryContent(image.blobs().get(image.layers().getFirst().digest()));
            assertThat(emptyMirror.requests("/manifests/v1")).as("the second mirror was asked").hasSize(1);
            assertThat(origin.requests("/blobs/")).hasSize(2);
        }
    }

    private static Path writeTo(Path p, byte[] data) throws IOException {
        return Files.write(p, data);
    }
}
