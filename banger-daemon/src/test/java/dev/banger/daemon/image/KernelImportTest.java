package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
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
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `kernel import --from DIR`, list/show/delete, and the image-to-kernel reference. */
class KernelImportTest {

    @TempDir
    Path dir;
    Path prepared;
    Store store;
    Config config;
    Layout layout;
    ImageService images;

    @BeforeEach
    void open() throws Exception {
        config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
        prepared = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(prepared.resolve("vmlinuz"), "bzImage bytes");
        Files.writeString(prepared.resolve("initrd.img"), "cpio bytes");
        Files.createDirectories(prepared.resolve("modules/6.1.0-test/kernel/drivers"));
        Files.writeString(prepared.resolve("modules/6.1.0-test/kernel/drivers/virtio_blk.ko"), "module");
    }

    /** Pulls resolve their reference for real (once each); the seams stand in for the layers. */
    final FakeRegistry registry = serveSmallImage("app");

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

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.import", "test", false, e -> { });
    }

    private KernelInfo importKernel(String name, Path from) {
        return images.importKernel(new KernelApi.KernelImportParams(name, from.toString(), "6.1.0-test", "debian"), ctx());
    }

    @Test
    void importCopiesTheFilesIntoTheKernelsDir() throws Exception {
        KernelInfo k = importKernel("debian-6.1", prepared);
        assertThat(k.dir()).isEqualTo(layout.kernelsDir().resolve("debian-6.1").toString());
        assertThat(Files.readString(Path.of(k.vmlinuzPath()))).isEqualTo("bzImage bytes");
        assertThat(Files.readString(Path.of(k.initrdPath()))).isEqualTo("cpio bytes");
        assertThat(k.vmlinuxPath()).isNull();
        assertThat(Path.of(k.modulesPath(), "6.1.0-test/kernel/drivers/virtio_blk.ko")).exists();
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly("debian-6.1");
        assertThat(images.showKernel("debian-6.1").version()).isEqualTo("6.1.0-test");
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
    }

    @Test
    void badSourcesAreRefusedNamingWhatIsWrong() throws Exception {
        assertThatThrownBy(() -> importKernel("k", dir.resolve("missing")))
                .isInstanceOf(BangerException.class).hasMessageContaining("is not an absolute path to a directory");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> importKernel("k", empty)).hasMessageContaining("has no vmlinuz");
        assertThatThrownBy(() -> importKernel("../evil", prepared)).hasMessageContaining("kernel name '../evil' is not valid");
        importKernel("k", prepared);
        assertThatThrownBy(() -> importKernel("k", prepared))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
        assertThat(layout.kernelsDir().toFile().list()).containsExactly("k");
    }

    @Test
    void aKernelInUseCannotBeDeleted() {
        CommandRunner runner = new CommandRunner();
        images = new ImageService(store, runner, layout, config, Clock.systemUTC(), ImageSteps.real(runner, layout, config)
                .withFinalizer((tree, pulled, rootfs, size, name, c) -> writeQuietly(rootfs))
                .withWorkSeedBuilder((tree, out) -> writeQuietly(out))
                .withPullAndFlatten((resolved, tree, c) -> new PulledTree("sha256:" + "1".repeat(64), "amd64",
                        new FlattenResult(0, 0, 0, 0, 0, 0, 0, List.of()))));
        importKernel("in-use", prepared);
        ImageInfo image = images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", "app", "in-use", null), ctx());
        assertThat(image.kernelName()).isEqualTo("in-use");

        assertThatThrownBy(() -> images.deleteKernel("in-use")).hasMessageContaining("used by image(s) app");
        images.delete("app");
        KernelInfo deleted = images.deleteKernel("in-use");
        assertThat(Path.of(deleted.dir())).doesNotExist();
        assertThat(images.listKernels()).isEmpty();
    }

    private static void writeQuietly(Path p) {
        try {
            Files.writeString(p, "stand-in");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
