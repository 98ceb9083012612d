package dev.banger.daemon.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.bundle.BundleManifest;
import dev.banger.daemon.image.bundle.BundleWriter;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.SmallFilesystem;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls, bundle pulls and kernel imports into a state dir on a small ext4 that fills up: each fails with a {@link NoSpaceException}
 * (the RPC error {@code no_space}) naming the path and what needed the space, leaves no staging dir, partial blob, row or
 * image dir, and the service keeps answering; once space is back the same pull succeeds.
 */
class ImageDiskFullTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final int NOISE_MIB = 16;

    @TempDir
    static Path dir;
    static SmallFilesystem disk;
    static FakeRegistry registry;
    static Store store;
    static Layout layout;
    static ImageService images;
    static TestImage big;

    @BeforeAll
    static void open() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mounting a loop filesystem needs root");
        disk = SmallFilesystem.mount(dir, 128);
        byte[] noise = new byte[NOISE_MIB << 20];
        new Random(1).nextBytes(noise); // incompressible: the blob and the rootfs both take its size
        big = TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).file("noise", noise, 0644).gzip()), MediaTypes.OCI_LAYER_GZIP);
        registry = new FakeRegistry();
        registry.serve("big", "v1", big);
        Config config = Config.under(disk.root().resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());
    }

    @AfterAll
    static void close() throws Exception {
        if (store != null) {
            store.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    /** Each test downloads and builds from scratch: nothing cached by another test's pull. */
    @BeforeEach
    void emptyCaches() {
        images.pruneCache(new ImageApi.CachePruneParams(false));
    }

    private static OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }

    private static ImageInfo pullBig() {
        return images.pull(new ImageApi.PullParams(registry.host() + "/big:v1", "big", null, null), ctx());
    }

    @Test
    void blobDownloadIntoAFullDiskFailsNamingTheLayerAndLeavesNothing() throws Exception {
        disk.fill((NOISE_MIB / 2) << 20); // the layer's blob does not fit
        try {
            assertNoSpace(big.layers().getFirst().digest());
        } finally {
            disk.free();
        }
    }

    @Test
    void rootfsBuildIntoAFullDiskFailsNamingTheImageAndLeavesNothingThenSucceedsOnceFreed() throws Exception {
        disk.fill((NOISE_MIB * 3 / 2) << 20); // the blob fits, the rootfs built from it does not
        try {
            assertNoSpace("image big");
        } finally {
            disk.free();
        }
        ImageInfo pulled = pullBig();
        assertThat(pulled.name()).as("the same pull once space is back").isEqualTo("big");
        assertThat(Path.of(pulled.dir()).resolve("rootfs.ext4")).isRegularFile();
        images.delete("big");
    }

    @Test
    void kernelImportIntoAFullDiskFailsNamingTheKernelAndLeavesNothingThenSucceedsOnceFreed() throws Exception {
        Path from = Files.createDirectories(dir.resolve("kernel-src"));
        Files.write(from.resolve("vmlinuz"), noise(NOISE_MIB));
        KernelApi.KernelImportParams params = new KernelApi.KernelImportParams("big-kernel", from.toString(), "6.1.0", "debian");
        disk.fill((NOISE_MIB / 2) << 20);
        try {
            assertThatThrownBy(() -> images.importKernel(params, ctx())).isInstanceOfSatisfying(NoSpaceException.class, e ->
                    assertThat(e.getMessage()).startsWith("no space left on " + disk.root()).contains("kernel big-kernel"));
            assertThat(layout.stagingDir().toFile().list()).as("staging").isEmpty();
            assertThat(images.listKernels()).as("no kernel row").isEmpty();
            assertThat(layout.kernelsDir().resolve("big-kernel")).doesNotExist();
        } finally {
            disk.free();
        }
        assertThat(images.importKernel(params, ctx()).name()).as("the same import once space is back").isEqualTo("big-kernel");
        images.deleteKernel("big-kernel");
    }

    @Test
    void aBundleThatDoesNotFitFailsNamingTheBundleAndLeavesNothing() throws Exception {
        Path rootfs = dir.resolve("bundle-rootfs.ext4");
        Files.write(rootfs, noise(NOISE_MIB));
        Path bundle = dir.resolve("big.bundle.tar.zst");
        Files.deleteIfExists(bundle);
        String sha256 = BundleWriter.write(bundle, new BundleManifest("bundled", "debian", "amd64", null), rootfs, null, n -> { });
        disk.fill((NOISE_MIB / 2) << 20);
        try {
            assertThatThrownBy(() -> images.pullBundle(new ImageApi.BundlePullParams(bundle.toString(), sha256, "bundled"), ctx()))
                    .isInstanceOfSatisfying(NoSpaceException.class, e ->
                            assertThat(e.getMessage()).startsWith("no space left on " + disk.root()).contains("bundle " + bundle));
            assertThat(layout.stagingDir().toFile().list()).as("staging").isEmpty();
            assertThat(images.list()).as("no row").isEmpty();
        } finally {
            disk.free();
        }
    }

    private static byte[] noise(int mib) {
        byte[] bytes = new byte[mib << 20];
        new Random(2).nextBytes(bytes); // incompressible: what is written takes its size
        return bytes;
    }

    private void assertNoSpace(String what) {
        assertThatThrownBy(ImageDiskFullTest::pullBig).isInstanceOfSatisfying(NoSpaceException.class, e -> {
            assertThat(e.path()).startsWith(disk.root().toString());
            assertThat(e.getMessage()).startsWith("no space left on " + disk.root()).contains(what);
        });
        assertThat(layout.stagingDir().toFile().list()).as("staging").isEmpty();
        assertThat(images.list()).as("the service answers; no row").isEmpty();
        String[] imageDirs = layout.imagesDir().toFile().list();
        assertThat(imageDirs == null ? new String[0] : imageDirs).as("image dirs").isEmpty();
        if (Files.isDirectory(layout.downloadCacheDir())) {
            assertThat(RUNNER.run(Command.of("find", layout.downloadCacheDir().toString(), "-name", "*.part*")).stdout())
                    .as("partial blobs").isEmpty();
        }
    }
}
