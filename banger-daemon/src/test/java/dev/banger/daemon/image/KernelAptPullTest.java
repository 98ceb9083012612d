package dev.banger.daemon.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.config.DebianSources;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.AptKernelPackages;
import dev.banger.daemon.image.kernel.KernelPackageCache;
import dev.banger.daemon.image.testing.TestDebianMirror;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded catalog's {@code debian-cloud} (kind apt: linux-image-cloud-amd64) pulled through
 * real apt from the tests' signed Debian mirror on loopback ({@code kernel_apt_sources}): the
 * metapackage resolves to the versioned kernel, which is downloaded, kept, imported; a second pull
 * after a delete uses the kept file. A package apt does not know, or a source it cannot reach, fails
 * naming the package and the sources file.
 */
class KernelAptPullTest {

    @TempDir
    Path dir;
    Store store;
    ImageService images;
    Layout layout;
    final List<String> stages = new CopyOnWriteArrayList<>();

    private void open(Config config) {
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
            store = null;
        }
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.pull", "test", false,
                e -> stages.add((String) e.get("stage")));
    }

    @Test
    void debianCloudComesThroughAptResolvedFromTheMetapackageAndIsKeptForTheNextPull() throws IOException {
        TestKernelDeb.requireTools();
        try (TestDebianMirror mirror = TestDebianMirror.start()) {
            open(mirror.configure(Config.under(dir.resolve("banger")), dir));

            KernelInfo k = images.pullKernel("debian-cloud", ctx());

            assertThat(k.name()).isEqualTo("debian-cloud");
            assertThat(k.version()).matches("6\\.1\\.0-[0-9]+-cloud-amd64");
            assertThat(k.source()).startsWith("apt:linux-image-cloud-amd64 (linux-image-" + k.version() + "_");
            assertThat(Path.of(k.vmlinuzPath())).isRegularFile();
            assertThat(Path.of(k.initrdPath())).isRegularFile();
            assertThat(stages).contains(AptKernelPackages.UPDATE_STAGE, KernelPackageCache.FETCH_STAGE);
            assertThat(mirror.requests()).anyMatch(p -> p.startsWith("/pool/main/linux-image-" + k.version() + "_"));
            Path kept = layout.kernelCacheDir().resolve("apt/linux-image-cloud-amd64");
            try (Stream<Path> s = Files.list(kept)) {
                assertThat(s.map(p -> p.getFileName().toString()).toList()).singleElement().asString()
                        .startsWith("linux-image-" + k.version() + "_");
            }
            assertThat(images.kernelCatalog().kernels()).filteredOn(c -> c.name().equals("debian-cloud")).singleElement()
                    .satisfies(c -> {
                        assertThat(c.imported()).isTrue();
                        assertThat(c.cached()).isTrue();
                        assertThat(c.aptPackage()).isEqualTo("linux-image-cloud-amd64");
                    });

            images.deleteKernel("debian-cloud");
            stages.clear();
            int debsBefore = debRequests(mirror);
            KernelInfo again = images.pullKernel("debian-cloud", ctx());
            assertThat(again.version()).isEqualTo(k.version());
            assertThat(stages).contains(KernelPackageCache.CACHED_STAGE).doesNotContain(KernelPackageCache.FETCH_STAGE);
            assertThat(debRequests(mirror)).as("no second download").isEqualTo(debsBefore);
        }
    }

    @Test
    void aPackageAptDoesNotKnowOrASourceItCannotReachFailsNamingTheSourcesAndKeepsNothing() throws IOException {
        Path catalog = Files.writeString(dir.resolve("kernels.json"), """
                {"format": 1, "kernels": [{"name": "nope", "kind": "apt", "package": "linux-image-nope-amd64"}]}""");
        try (TestDebianMirror mirror = TestDebianMirror.start()) {
            Config config = mirror.configure(Config.under(dir.resolve("banger")), dir).withKernelCatalog(catalog);
            open(config);
            assertThatThrownBy(() -> images.pullKernel("nope", ctx()))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                    .hasMessageContaining("kernel nope (apt package linux-image-nope-amd64): apt knows no package linux-image-nope-amd64")
                    .hasMessageContaining(config.debian().kernelAptSources() + ", config key kernel_apt_sources")
                    .hasMessageContaining("banger kernel import NAME --deb FILE");
            close();

            Path unreachable = Files.writeString(dir.resolve("unreachable.list"),
                    "deb [signed-by=" + TestDebianMirror.KEYRING + "] http://127.0.0.1:1 bookworm main\n");
            open(Config.under(dir.resolve("banger2")).withDebian(new DebianSources(null, null, unreachable)));
            assertThatThrownBy(() -> images.pullKernel("debian-cloud", ctx()))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                    .hasMessageContaining("apt knows no package linux-image-cloud-amd64 (the apt sources in " + unreachable)
                    .hasMessageContaining("http://127.0.0.1:1");
            assertThat(images.listKernels()).isEmpty();
            assertThat(layout.kernelsDir()).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
            assertThat(layout.stagingDir()).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
        }
    }

    private static int debRequests(TestDebianMirror mirror) {
        return (int) mirror.requests().stream().filter(p -> p.endsWith(".deb")).count();
    }
}
