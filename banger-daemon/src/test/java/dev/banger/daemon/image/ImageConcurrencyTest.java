package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.layers.FlattenResult;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock scopes of the seed: pull bodies run unlocked (different names overlap), the publish
 * window re-checks the name (one winner), identical pulls of one name are coalesced. The seams
 * stand in for the network and mkfs so the tests can hold a pull in mid-flight.
 */
class ImageConcurrencyTest {

    @TempDir
    Path dir;
    Store store;
    Config config;
    Layout layout;
    ImageService images;

    @BeforeEach
    void open() {
        config = Config.under(dir);
        layout = Layout.of(config);
        store = Store.open(layout.database());
    }

    /** Pulls that fetch with {@code pull}, with stand-ins for the ext4 build and the work-seed. */
    private ImageService pullingWith(PullAndFlatten pull) {
        CommandRunner runner = new CommandRunner();
        return new ImageService(store, runner, layout, config, Clock.systemUTC(), ImageSteps.real(runner, layout, config)
                .withPullAndFlatten(pull)
                .withFinalizer((tree, pulled, rootfs, size, name, ctx) -> write(rootfs))
                .withWorkSeedBuilder((tree, out) -> write(out)));
    }

    /** Pulls resolve their reference for real (once each); the seams stand in for the layers. */
    final FakeRegistry registry = serveSmallImage("slow", "fast", "one", "two", "same");

    static FakeRegistry serveSmallImage(String... repos) {
        FakeRegistry fake = new FakeRegistry();
        TestImage image = TestImage.image(List.of(new TestLayer().file("hello", "hi").gzip()), MediaTypes.OCI_LAYER_GZIP);
        for (String repo : repos) {
            fake.serve(repo, "v1", image);
        }
        return fake;
    }

    @AfterEach
    void close() {
        registry.close();
        store.close();
    }

    private static void write(Path p) {
        try {
            Files.writeString(p, "ext4 stand-in");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static PulledTree pulled() {
        return new PulledTree("sha256:" + "0".repeat(64), "amd64", new FlattenResult(1, 1, 0, 0, 0, 10, 2, List.of()));
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }

    private CompletableFuture<ImageInfo> pullAsync(String ref, String name) {
        // One thread per pull: the common pool has a single worker on a 2-core machine.
        return CompletableFuture.supplyAsync(() -> images.pull(new ImageApi.PullParams(ref, name, null, null), ctx()),
                Executors.newVirtualThreadPerTaskExecutor());
    }

    @Test
    void pullImageDoesNotSerialiseOnDifferentNames() throws Exception {
        CountDownLatch slowInBody = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        images = pullingWith((resolved, tree, ctx) -> {
            if (resolved.image().ref().repository().endsWith("slow")) {
                slowInBody.countDown();
                releaseSlow.await();
            }
            return pulled();
        });
        CompletableFuture<ImageInfo> slow = pullAsync(registry.host() + "/slow:v1", "slow");
        assertThat(slowInBody.await(10, TimeUnit.SECONDS)).isTrue();

        // Would time out if the body of a pull ran under imageOpsMu.
        ImageInfo fast = pullAsync(registry.host() + "/fast:v1", "fast").get(10, TimeUnit.SECONDS);
        assertThat(fast.name()).isEqualTo("fast");
        assertThat(slow).isNotDone();

        releaseSlow.countDown();
        assertThat(slow.get(10, TimeUnit.SECONDS).name()).isEqualTo("slow");
    }

    @Test
    void pullImageRejectsNameClashAtPublish() throws Exception {
        CountDownLatch bothInBody = new CountDownLatch(2);
        images = pullingWith((resolved, tree, ctx) -> {
            bothInBody.countDown();
            bothInBody.await(10, TimeUnit.SECONDS); // both passed the early name check
            return pulled();
        });
        CompletableFuture<ImageInfo> a = pullAsync(registry.host() + "/one:v1", "clash");
        CompletableFuture<ImageInfo> b = pullAsync(registry.host() + "/two:v1", "clash");

        int winners = 0;
        int losers = 0;
        for (CompletableFuture<ImageInfo> f : List.of(a, b)) {
            try {
                assertThat(f.get(20, TimeUnit.SECONDS).name()).isEqualTo("clash");
                winners++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfSatisfying(BangerException.class,
                        be -> assertThat(be.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
                losers++;
            }
        }
        assertThat(winners).isEqualTo(1);
        assertThat(losers).isEqualTo(1);
        assertThat(store.images().list()).hasSize(1);
        assertThat(layout.imagesDir().toFile().list()).hasSize(1);
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
    }

    @Test
    void identicalPullsOfOneNameAreCoalesced() throws Exception {
        AtomicInteger bodies = new AtomicInteger();
        CountDownLatch inBody = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        images = pullingWith((resolved, tree, ctx) -> {
            bodies.incrementAndGet();
            inBody.countDown();
            release.await();
            return pulled();
        });
        CompletableFuture<ImageInfo> first = pullAsync(registry.host() + "/same:v1", "same");
        assertThat(inBody.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<ImageInfo> second = pullAsync(registry.host() + "/same:v1", "same");
        Thread.sleep(200);
        assertThat(second).isNotDone();
        release.countDown();

        assertThat(second.get(10, TimeUnit.SECONDS).id()).isEqualTo(first.get(10, TimeUnit.SECONDS).id());
        assertThat(bodies.get()).isEqualTo(1);
    }
}
