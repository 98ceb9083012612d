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
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestKernelServer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kernel pull} and {@code image pull --kernel-ref} from a kernel catalog (the
 * {@code kernel_catalog} override) whose URLs point at a loopback server serving Debian's real cloud
 * kernel package from host-setup.sh's cache: no traffic leaves 127.0.0.1.
 */
class KernelCatalogPullTest {

    static TestKernelServer server;
    static Path deb;
    static String sha256;
    static long size;
    static String version;
    static String url;

    @TempDir
    Path dir;
    Store store;
    Layout layout;
    ImageService images;
    final List<String> stages = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void serve() throws IOException {
        TestKernelDeb.requireTools();
        deb = TestKernelDeb.require();
        sha256 = TestKernelServer.sha256(deb);
        size = Files.size(deb);
        String file = deb.getFileName().toString();
        version = file.substring("linux-image-".length(), file.indexOf('_'));
        server = TestKernelServer.start();
        url = server.serve("/debian-security/pool/updates/main/l/linux-signed-amd64/" + file, deb);
    }

    @AfterAll
    static void stopServing() {
        if (server != null) {
            server.close();
        }
    }

    /** An ImageService whose kernel_catalog is a file of {@code entries}. */
    private void open(String... entries) {
        open(false, entries);
    }

    /** {@code standIns}: image pulls fetch no layers and build and seed nothing real (no mkfs). */
    private void open(boolean standIns, String... entries) {
        Path catalog = TestKernelServer.catalog(dir.resolve("kernels.json"), entries);
        Config config = Config.under(dir.resolve("banger")).withKernelCatalog(catalog);
        layout = Layout.of(config);
        store = Store.open(layout.database());
        CommandRunner runner = new CommandRunner();
        ImageSteps steps = ImageSteps.real(runner, layout, config);
        images = new ImageService(store, runner, layout, config, Clock.systemUTC(), standIns ? standIns(steps) : steps);
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
        if (store != null) {
            store.close();
        }
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.pull", "test", false,
                e -> stages.add((String) e.get("stage")));
    }

    private List<String> downloads() {
        return server.requests().stream().filter(p -> p.endsWith(deb.getFileName().toString())).toList();
    }

    @Test
    void pullDownloadsVerifiesCachesAndImportsAndASecondPullDownloadsNothing() throws Exception {
        open(TestKernelServer.entry("cloud", "deb", version, url, sha256, size));
        int before = downloads().size();
        KernelApi.CatalogKernel listed = images.kernelCatalog().kernels().getFirst();
        assertThat(images.kernelCatalog().catalog()).isEqualTo(dir.resolve("kernels.json").toString());
        assertThat(listed).isEqualTo(new KernelApi.CatalogKernel("cloud", "deb", version, "debian", "x86_64", url, sha256,
                size, null, false, null, false, null));

        KernelInfo k = images.pullKernel("cloud", ctx());
        assertThat(downloads()).hasSize(before + 1);
        assertThat(k.name()).isEqualTo("cloud");
        assertThat(k.version()).isEqualTo(version);
        assertThat(k.distro()).isEqualTo("debian");
        assertThat(k.sha256()).isEqualTo(sha256);
        assertThat(k.source()).isEqualTo("deb:" + url);
        assertThat(Path.of(k.dir()).toFile().list()).containsExactlyInAnyOrder("vmlinuz", "vmlinux", "initrd.img", "modules");
        assertThat(stages).containsSubsequence("fetch kernel package", "check package", "extract package", "select modules",
                "build initramfs", "extract vmlinux", "publish");
        Path cached = layout.kernelCacheDir().resolve(sha256 + ".deb");
        assertThat(layout.kernelCacheDir().toFile().list()).containsExactly(sha256 + ".deb");
        assertThat(Files.mismatch(cached, deb)).isEqualTo(-1L);
        assertThat(names(layout.stagingDir())).isEmpty();
        assertThat(images.kernelCatalog().kernels().getFirst()).extracting(KernelApi.CatalogKernel::imported,
                KernelApi.CatalogKernel::importedSha256, KernelApi.CatalogKernel::cached).containsExactly(true, sha256, true);

        // Pulling an imported name is already_exists, as for kernel import; nothing is fetched.
        assertThatThrownBy(() -> images.pullKernel("cloud", ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));

        // Delete it and pull again: the cached package is checked and used, nothing is downloaded.
        images.deleteKernel("cloud");
        stages.clear();
        KernelInfo again = images.pullKernel("cloud", ctx());
        assertThat(downloads()).as("requests for the package").hasSize(before + 1);
        assertThat(stages).contains("check cached kernel package").doesNotContain("fetch kernel package");
        assertThat(again.sha256()).isEqualTo(sha256);
        assertThat(images.listKernels()).extracting(KernelInfo::name).containsExactly("cloud");
    }

    @Test
    void aSha256MismatchIsOperationFailedNamingBothDigestsAndLeavesNothing() {
        String wrong = "0123456789abcdef".repeat(4);
        open(TestKernelServer.entry("tampered", "deb", null, url, wrong, null),
                TestKernelServer.entry("short", "deb", null, url, sha256, size - 1));
        int before = downloads().size();
        assertThatThrownBy(() -> images.pullKernel("tampered", ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("expected sha256 " + wrong).hasMessageContaining("got " + sha256)
                .hasMessageContaining(url);
        assertThat(downloads()).hasSize(before + 1);
        assertNothingLeft();

        assertThatThrownBy(() -> images.pullKernel("short", ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("the server sends " + size + " bytes, the catalog expects " + (size - 1));
        assertNothingLeft();

        // Nothing was cached: the next attempt downloads again (and fails again).
        assertThatThrownBy(() -> images.pullKernel("tampered", ctx())).hasMessageContaining("expected sha256 " + wrong);
        assertThat(downloads()).hasSize(before + 3);
        assertNothingLeft();
    }

    @Test
    void unknownNamesAreNotFoundAndNameTheKernel() {
        open(true, TestKernelServer.entry("cloud", "deb", version, url, sha256, size));
        int before = server.requests().size();
        assertThatThrownBy(() -> images.pullKernel("nope", ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessage("kernel 'nope' is not in the kernel catalog (see `banger kernel list --available`)");
        assertThatThrownBy(() -> images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", "app", "nope", null), ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessageContaining("kernel 'nope'").hasMessageContaining("`banger kernel list --available`");
        assertThat(server.requests()).hasSize(before);
        assertThat(images.list()).isEmpty();
        assertNothingLeft();
    }

    @Test
    void imagePullWithACatalogKernelRefPullsTheKernelOnceFirst() throws Exception {
        open(true, TestKernelServer.entry("cloud", "deb", version, url, sha256, size));
        int before = downloads().size();
        // Two image pulls naming the same missing kernel at once: one download, one import, both images use it.
        List<ImageInfo> pulled = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ImageInfo>> fs = new ArrayList<>();
            for (String name : List.of("app1", "app2")) {
                fs.add(pool.submit(() -> images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", name, "cloud", null), ctx())));
            }
            for (Future<ImageInfo> f : fs) {
                pulled.add(f.get());
            }
        }
        KernelInfo k = images.showKernel("cloud");
        assertThat(pulled).extracting(ImageInfo::kernelName).containsExactly("cloud", "cloud");
        assertThat(pulled).extracting(ImageInfo::kernelId).containsOnly(k.id());
        assertThat(k.sha256()).isEqualTo(sha256);
        assertThat(downloads()).hasSize(before + 1);
        assertThat(stages).contains("pull kernel cloud from the kernel catalog", "fetch kernel package", "build initramfs");
        assertThat(stages.stream().filter("build initramfs"::equals)).as("imported once").hasSize(1);

        // Imported now: a third pull uses it without the catalog.
        stages.clear();
        ImageInfo third = images.pull(new ImageApi.PullParams(registry.host() + "/app:v1", "app3", "cloud", null), ctx());
        assertThat(third.kernelId()).isEqualTo(k.id());
        assertThat(stages).doesNotContain("pull kernel cloud from the kernel catalog", "check cached kernel package");
        assertThat(names(layout.stagingDir())).isEmpty();
    }

    @Test
    void aCancelledDownloadEndsCancelledAndLeavesNothing() {
        String slowUrl = server.serveSlowly("/slow/" + deb.getFileName(), deb);
        open(TestKernelServer.entry("slow", "deb", null, slowUrl, sha256, size));
        Operations ops = new Operations(store, Clock.systemUTC());
        OperationContext[] holder = new OperationContext[1];
        OperationContext c = ops.begin(Operations.newOpId(), "kernel.pull", "test", false, e -> {
            if ("fetch kernel package".equals(e.get("stage")) && Long.valueOf(0).equals(e.get("done"))) {
                Thread.ofVirtual().start(() -> { // the first MiB arrives, then the server stalls: hang up then
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    holder[0].cancel();
                });
            }
        });
        holder[0] = c;
        c.attach(Thread.currentThread());
        long t0 = System.nanoTime();
        try {
            assertThatThrownBy(() -> images.pullKernel("slow", c))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.CANCELLED))
                    .hasMessage("download of kernel package " + slowUrl + " cancelled");
        } finally {
            Thread.interrupted(); // this test thread stood in for the request's
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the cancel took").isLessThan(10_000);
        assertNothingLeft();
    }

    private void assertNothingLeft() {
        assertThat(names(layout.kernelCacheDir())).as("kernel package cache").isEmpty();
        assertThat(names(layout.stagingDir())).as("staging dirs").isEmpty();
        assertThat(names(layout.kernelsDir())).as("kernel dirs").isEmpty();
        assertThat(images.listKernels()).as("kernel rows").isEmpty();
    }

    /** What is in {@code dir}; nothing when it was never made. */
    private static List<String> names(Path dir) {
        String[] list = dir.toFile().list();
        return list == null ? List.of() : List.of(list);
    }

    private static ImageSteps standIns(ImageSteps real) {
        return real.withFinalizer((tree, pulled, rootfs, sz, name, c) -> write(rootfs))
                .withWorkSeedBuilder((tree, out) -> write(out))
                .withPullAndFlatten((resolved, tree, c) -> new PulledTree("sha256:" + "1".repeat(64), "amd64",
                        new FlattenResult(0, 0, 0, 0, 0, 0, 0, List.of())));
    }

    private static void write(Path p) {
        try {
            Files.writeString(p, "stand-in");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
