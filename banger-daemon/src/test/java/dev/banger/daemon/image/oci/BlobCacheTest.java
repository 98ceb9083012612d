package dev.banger.daemon.image.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.image.ImageReference;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.FakeRegistry.Fault;
import dev.banger.daemon.image.testing.TestImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BlobCacheTest {

    @TempDir
    Path dir;

    private static Descriptor descriptorOf(byte[] data) {
        return new Descriptor(MediaTypes.OCI_LAYER_GZIP, TestImage.sha256(data), data.length);
    }

    private static BlobSource writing(byte[] data, AtomicInteger calls) {
        return (d, dest) -> {
            calls.incrementAndGet();
            try {
                Files.write(dest, data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    private List<String> cachedFiles() throws IOException {
        Path blobs = dir.resolve("blobs/sha256");
        if (!Files.isDirectory(blobs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(blobs)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSecondGetDownloadsNothing() throws IOException {
        byte[] layer = RegistryClientTest.gzipLayer("cached", "x".repeat(10_000));
        TestImage image = TestImage.image(List.of(layer), MediaTypes.OCI_LAYER_GZIP);
        Descriptor d = image.layers().getFirst();
        BlobCache cache = new BlobCache(dir);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = RegistryClientTest.client()) {
            fake.serve("app", "v1", image);
            ImageReference ref = fake.ref("app:v1");
            BlobSource source = (blob, dest) -> client.fetchBlob(ref, blob, dest, n -> { });

            Path first = cache.get(d, source);
            Path second = cache.get(d, source);

            assertThat(first).isEqualTo(second).isEqualTo(dir.resolve("blobs/sha256/" + Digests.hex(d.digest())));
            assertThat(first).hasBinaryContent(layer);
            assertThat(fake.requests("/blobs/" + d.digest())).hasSize(1);
            assertThat(cache.path(d.digest())).isEqualTo(first);
        }
        assertThat(cachedFiles()).containsExactly(Digests.hex(d.digest()));
    }

    @Test
    void concurrentGetsOfOneDigestDownloadItOnce() throws Exception {
        byte[] data = "shared layer".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(data);
        BlobCache cache = new BlobCache(dir);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlobSource slow = (blob, dest) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            writing(data, calls).fetch(blob, dest);
        };

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> cache.get(d, slow)));
            }
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100); // let the other seven reach their wait
            release.countDown();

            for (Future<Path> f : results) {
                assertThat(f.get()).hasBinaryContent(data);
            }
        }
        assertThat(calls).hasValue(1);
    }

    @Test
    void aFailedDownloadLeavesNothingReachesEveryWaiterAndARetryWorks() throws Exception {
        byte[] data = "layer that fails first".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(data);
        BlobCache cache = new BlobCache(dir);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        BlobSource failing = (blob, dest) -> {
            calls.incrementAndGet();
            entered.countDown();
            try {
                Files.write(dest, new byte[5]); // a partial file the cache must remove
                release.await();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "registry example.test answered 503 for blob " + blob.digest());
        };

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> cache.get(d, failing)));
            }
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(100);
            release.countDown();

            for (Future<Path> f : results) {
                assertThatThrownBy(f::get).cause()
                        .isInstanceOf(BangerException.class)
                        .hasMessage("registry example.test answered 503 for blob " + d.digest());
            }
        }
        assertThat(calls).hasValue(1);
        assertThat(cachedFiles()).isEmpty();

        AtomicInteger retries = new AtomicInteger();
        assertThat(cache.get(d, writing(data, retries))).hasBinaryContent(data);
        assertThat(retries).hasValue(1);
    }

    @Test
    void aCorruptDownloadThroughTheRegistryLeavesNothingAndARetryWorks() throws IOException {
        byte[] layer = RegistryClientTest.gzipLayer("c", "y".repeat(5000));
        TestImage image = TestImage.image(List.of(layer), MediaTypes.OCI_LAYER_GZIP);
        Descriptor d = image.layers().getFirst();
        BlobCache cache = new BlobCache(dir);
        try (FakeRegistry fake = new FakeRegistry(); RegistryClient client = RegistryClientTest.client()) {
            fake.serve("app", "v1", image).fault(d.digest(), Fault.CORRUPT);
            BlobSource source = (blob, dest) -> client.fetchBlob(fake.ref("app:v1"), blob, dest, n -> { });

            assertThatThrownBy(() -> cache.get(d, source))
                    .isInstanceOf(UnexpectedBlobDigestException.class)
                    .hasMessageContaining("failed verification");
            assertThat(cachedFiles()).isEmpty();

            fake.fault(d.digest(), null);
            assertThat(cache.get(d, source)).hasBinaryContent(layer);
        }
    }

    @Test
    void theCacheChecksWhatASourceWrote() throws IOException {
        byte[] data = "expected".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(data);
        BlobCache cache = new BlobCache(dir);

        assertThatThrownBy(() -> cache.get(d, writing("unexpect".getBytes(StandardCharsets.UTF_8), new AtomicInteger())))
                .isInstanceOf(BangerException.class)
                .hasMessageStartingWith("blob " + d.digest() + " failed verification (got sha256:");
        assertThatThrownBy(() -> cache.get(d, writing("too long!".getBytes(StandardCharsets.UTF_8), new AtomicInteger())))
                .isInstanceOf(BangerException.class)
                .hasMessage("blob " + d.digest() + " has 9 bytes, not the 8 its manifest declares");
        assertThatThrownBy(() -> cache.get(d, (blob, dest) -> { }))
                .isInstanceOf(BangerException.class)
                .hasMessage("downloading blob " + d.digest() + " produced no file");
        assertThat(cachedFiles()).isEmpty();
    }

    @Test
    void whenTheDownloaderIsCancelledAWaiterDownloadsItItself() throws Exception {
        byte[] data = "cancel me".getBytes(StandardCharsets.UTF_8);
        Descriptor d = descriptorOf(data);
        BlobCache cache = new BlobCache(dir);
        CountDownLatch entered = new CountDownLatch(1);
        BlobSource hangs = (blob, dest) -> {
            entered.countDown();
            try {
                Thread.sleep(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "download of " + blob.digest() + " was cancelled");
            }
        };
        AtomicInteger calls = new AtomicInteger();

        Thread downloader = Thread.ofVirtual().start(() -> {
            try {
                cache.get(d, hangs);
            } catch (BangerException expected) {
                // cancelled
            }
        });
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Path> waiter = pool.submit(() -> cache.get(d, writing(data, calls)));
            Thread.sleep(100);
            downloader.interrupt();

            assertThat(waiter.get(10, TimeUnit.SECONDS)).hasBinaryContent(data);
        }
        assertThat(calls).hasValue(1);
    }

    @Test
    void pruneFreesUnreferencedBlobsAndReportsTheBytes() throws IOException {
        BlobCache cache = new BlobCache(dir);
        byte[] keep = "keep me".getBytes(StandardCharsets.UTF_8);
        byte[] dropA = "x".repeat(1000).getBytes(StandardCharsets.UTF_8);
        byte[] dropB = "y".repeat(234).getBytes(StandardCharsets.UTF_8);
        for (byte[] b : List.of(keep, dropA, dropB)) {
            cache.get(descriptorOf(b), writing(b, new AtomicInteger()));
        }
        String stale = Digests.hex(TestImage.sha256("never finished".getBytes(StandardCharsets.UTF_8))) + ".part";
        Files.write(dir.resolve("blobs/sha256/" + stale), new byte[50]);
        Files.writeString(dir.resolve("blobs/sha256/README"), "not a blob");
        Set<String> referenced = Set.of(descriptorOf(keep).digest());

        PruneReport dry = cache.prune(referenced, true);

        assertThat(dry).isEqualTo(new PruneReport(2, 1000 + 234 + 50, true));
        assertThat(cachedFiles()).hasSize(5);

        PruneReport real = cache.prune(referenced, false);

        assertThat(real).isEqualTo(new PruneReport(2, 1000 + 234 + 50, false));
        assertThat(cachedFiles()).containsExactlyInAnyOrder(Digests.hex(descriptorOf(keep).digest()), "README");
        assertThat(cache.prune(referenced, false)).isEqualTo(new PruneReport(0, 0, false));
    }

    @Test
    void pruningAnEmptyCacheFreesNothing() {
        assertThat(new BlobCache(dir.resolve("never-created")).prune(Set.of(), false)).isEqualTo(new PruneReport(0, 0, false));
    }

    @Test
    void aDigestThatIsNotSha256IsRefused() {
        BlobCache cache = new BlobCache(dir);

        assertThatThrownBy(() -> cache.get(new Descriptor("x", "sha256:../../etc/passwd", 1), writing(new byte[1], new AtomicInteger())))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("is not sha256: and 64 hex digits");
    }
}
