package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.Descriptor;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `image cache prune`: what it removes, what a dry run reports, and the blobs of pulls in flight it keeps. */
class ImageCachePruneTest {

    @TempDir
    Path dir;
    FakeRegistry registry;
    TestImage image;
    Store store;
    Layout layout;
    ImageService images;

    @BeforeEach
    void open() {
        registry = new FakeRegistry();
        image = TestImage.image(List.of(
                new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755).file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).gzip(),
                new TestLayer().dir("etc", 0755).file("etc/motd", "hi\n").gzip()), MediaTypes.OCI_LAYER_GZIP);
        registry.serve("app", "v1", image);
        Config config = Config.under(dir);
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        store.close();
        registry.close();
    }

    private OperationContext ctx(OperationContext.ProgressSink sink) {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, sink);
    }

    private Path blobs() {
        return layout.downloadCacheDir().resolve("blobs/sha256");
    }

    private Path plantBlob(String content) throws Exception {
        Files.createDirectories(blobs());
        return Files.writeString(blobs().resolve(TestImage.sha256(content.getBytes()).substring("sha256:".length())), content);
    }

    @Test
    void dryRunFreesNothingAndPruneFreesWhatItReported() throws Exception {
        Path a = plantBlob("aaaa");
        Path b = plantBlob("bbbbbb");
        Files.writeString(blobs().resolve("not-a-blob"), "left alone");

        ImageApi.CachePruneResult dry = images.pruneCache(new ImageApi.CachePruneParams(true));
        assertThat(dry).isEqualTo(new ImageApi.CachePruneResult(layout.downloadCacheDir().toString(), 2, 10, 0, true));
        assertThat(a).exists();
        assertThat(b).exists();

        ImageApi.CachePruneResult real = images.pruneCache(new ImageApi.CachePruneParams(null));
        assertThat(real).isEqualTo(new ImageApi.CachePruneResult(layout.downloadCacheDir().toString(), 2, 10, 0, false));
        assertThat(blobs().toFile().list()).containsExactly("not-a-blob");

        assertThat(images.pruneCache(new ImageApi.CachePruneParams(false)).blobs()).isZero();
    }

    @Test
    void blobsOfAPullInFlightAreKept() throws Exception {
        Path junk = plantBlob("from an image deleted long ago");
        CountDownLatch unpacking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OperationContext.ProgressSink sink = event -> {
            if (String.valueOf(event.get("stage")).startsWith("unpack layer 2/2")) {
                unpacking.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        CompletableFuture<ImageInfo> pull = CompletableFuture.supplyAsync(() -> images.pull(
                new ImageApi.PullParams(registry.host() + "/app:v1", "app", null, null), ctx(sink)),
                Executors.newVirtualThreadPerTaskExecutor());
        assertThat(unpacking.await(20, TimeUnit.SECONDS)).isTrue();

        ImageApi.CachePruneResult during = images.pruneCache(new ImageApi.CachePruneParams(false));

        assertThat(during.blobs()).as("only the stray blob").isEqualTo(1);
        assertThat(junk).doesNotExist();
        for (Descriptor d : image.layers()) {
            assertThat(blobs().resolve(d.digest().substring("sha256:".length()))).exists();
        }
        assertThat(blobs().resolve(image.config().digest().substring("sha256:".length()))).exists();
        release.countDown();
        assertThat(pull.get(30, TimeUnit.SECONDS).name()).isEqualTo("app");

        ImageApi.CachePruneResult after = images.pruneCache(new ImageApi.CachePruneParams(false));
        assertThat(after.blobs()).as("config and two layers, no longer needed").isEqualTo(3);
        assertThat(blobs().toFile().list()).isEmpty();
    }
}
