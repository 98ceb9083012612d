package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.NoSpaceException;
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
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls that must fail: each with an error naming what was wrong, and each leaving nothing
 * behind (no staging dir, no row, no image dir, no half-written blob in the cache).
 */
class ImagePullFailureTest {

    private static final CommandRunner RUNNER = new CommandRunner();

    @TempDir
    Path dir;
    FakeRegistry registry;
    Store store;
    Layout layout;
    ImageService images;
    TestImage image;

    @BeforeEach
    void open() {
        registry = new FakeRegistry();
        image = TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).gzip()), MediaTypes.OCI_LAYER_GZIP);
        registry.serve("app", "v1", image);
        registry.serve("arm", "v1", TestImage.index(MediaTypes.OCI_INDEX,
                List.of(TestImage.image(List.of(new TestLayer().file("x", "y").gzip()), MediaTypes.OCI_LAYER_GZIP,
                        MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "arm64")))));
        openService(dir);
    }

    private void openService(Path root) {
        Config config = Config.under(root);
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        store.close();
        registry.close();
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }

    private void assertPullFails(String ref, ErrorCode code, String... messageParts) {
        assertThatThrownBy(() -> images.pull(new ImageApi.PullParams(ref, "x", null, null), ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    for (String part : messageParts) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
        assertThat(layout.stagingDir().toFile().list()).as("staging").isEmpty();
        assertThat(store.images().list()).as("rows").isEmpty();
        String[] imageDirs = layout.imagesDir().toFile().list();
        assertThat(imageDirs == null ? new String[0] : imageDirs).as("image dirs").isEmpty();
        if (Files.isDirectory(layout.downloadCacheDir())) {
            assertThat(RUNNER.run(Command.of("find", layout.downloadCacheDir().toString(), "-name", "*.part")).stdout())
                    .as("partial blobs").isEmpty();
        }
    }

    @Test
    void digestMismatchIsRefused() {
        registry.fault(image.layers().getFirst().digest(), FakeRegistry.Fault.CORRUPT);
        assertPullFails(registry.host() + "/app:v1", ErrorCode.OPERATION_FAILED, "failed verification",
                image.layers().getFirst().digest());
    }

    @Test
    void truncatedBlobIsRefused() {
        registry.fault(image.layers().getFirst().digest(), FakeRegistry.Fault.TRUNCATE);
        assertPullFails(registry.host() + "/app:v1", ErrorCode.OPERATION_FAILED, image.layers().getFirst().digest());
    }

    @Test
    void unauthorizedIsNamed() {
        registry.requireBearer("user", "secret");
        assertPullFails(registry.host() + "/app:v1", ErrorCode.UNAUTHORIZED, "refused access");
    }

    @Test
    void imageForAnotherPlatformOnlyIsNotFound() {
        assertPullFails(registry.host() + "/arm:v1", ErrorCode.NOT_FOUND, "linux/arm64");
    }

    @Test
    void unknownRegistryHostIsNamed() {
        assertPullFails("nonexistent.invalid/app:v1", ErrorCode.OPERATION_FAILED, "nonexistent.invalid");
    }

    @Test
    void diskFullWhileBuildingLeavesNothing() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mounting a small tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("small"));
        RUNNER.run(Command.of("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", small.toString()));
        try {
            store.close();
            openService(small);
            byte[] noise = new byte[12 << 20];
            new Random(1).nextBytes(noise);
            TestImage big = TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                    .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).file("noise", noise, 0644).gzip()), MediaTypes.OCI_LAYER_GZIP);
            registry.serve("big", "v1", big);
            assertThatThrownBy(() -> images.pull(new ImageApi.PullParams(registry.host() + "/big:v1", "big", null, null), ctx()))
                    .isInstanceOf(NoSpaceException.class)
                    .hasMessageStartingWith("no space left on " + small);
            assertThat(layout.stagingDir().toFile().list()).isEmpty();
            assertThat(store.images().list()).isEmpty();
            ImageInfo ok = images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", "after", null, "64M"), ctx());
            assertThat(ok.name()).as("the service still works once space is back").isEqualTo("after");
        } finally {
            store.close();
            RUNNER.runAllowingFailure(Command.of("umount", "-l", small.toString()));
            openService(dir);
        }
    }
}
