package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdInputStream;
import com.sun.net.httpserver.HttpServer;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.bundle.BundleReader;
import dev.banger.daemon.image.testing.LogCapture;
import dev.banger.daemon.image.testing.TestExt4;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles: `internal make-bundle` and `image pull --bundle` (file and loopback HTTP), with real
 * mkfs.ext4 and debugfs, and every way a bundle can be refused leaving nothing behind.
 */
class ImageBundleTest {

    static final CommandRunner RUNNER = new CommandRunner();

    /** A rootfs tar as `docker export` would give it. */
    static final TestLayer ROOTFS_TAR = new TestLayer()
            .dir("etc", 0755).dir("usr", 0755).dir("usr/sbin", 0755).dir("bin", 0755).dir("root", 0700)
            .dir("home", 0755).dir("home/dev", 0750)
            .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0)
            .file("etc/hosts", "127.0.0.1 localhost\n")
            .file("bin/su", "setuid binary", 04755, 0, 0)
            .file("home/dev/notes", "mine", 0600, 1000, 1000)
            .file("root/.bashrc", "export PS1='bundle$ '\n");

    /** A small real ext4 with a /root, for bundles built by hand. */
    @TempDir
    static Path shared;
    static byte[] smallExt4;

    @TempDir
    Path dir;
    Store store;
    Config config;
    Layout layout;
    ImageService images;

    @BeforeAll
    static void buildSmallExt4() throws Exception {
        Path tree = Files.createDirectories(shared.resolve("tree"));
        Files.createDirectories(tree.resolve("root"));
        Files.writeString(tree.resolve("root/.profile"), "echo from-the-rootfs\n");
        Files.createDirectories(tree.resolve("etc"));
        Files.writeString(tree.resolve("etc/hostname"), "small\n");
        Path image = shared.resolve("small.ext4");
        RUNNER.run(Command.of("truncate", "-s", "4M", image.toString()));
        RUNNER.run(Command.of("mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", "-d", tree.toString(), image.toString()));
        smallExt4 = Files.readAllBytes(image);
    }

    /** The service again, over the same store, with {@code change} made to its steps. */
    private ImageService withSteps(java.util.function.UnaryOperator<ImageSteps> change) {
        return new ImageService(store, RUNNER, layout, config, Clock.systemUTC(), change.apply(ImageSteps.real(RUNNER, layout, config)));
    }

    @BeforeEach
    void open() throws Exception {
        config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC());
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bzImage");
        images.importKernel(new KernelApi.KernelImportParams("k1", k.toString(), "6.1.0", "debian"), ctx());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.bundle", "test", false, e -> { });
    }

    private ImageInfo pull(String bundle, String sha256, String name) {
        return images.pullBundle(new ImageApi.BundlePullParams(bundle, sha256, name), ctx());
    }

    // ---- make-bundle and pull, end to end ----

    @Test
    void makeBundleThenPullTheFileGivesAnImageCheckedWithDebugfs() throws Exception {
        Path tar = Files.write(dir.resolve("rootfs.tar"), ROOTFS_TAR.tar());
        Path out = dir.resolve("dev.tar.zst");
        ImageApi.BundleMade made = images.makeBundle(new ImageApi.BundleMakeParams(tar.toString(), "dev", "k1", "debian",
                out.toString(), null), ctx());

        assertThat(made.path()).isEqualTo(out.toString());
        assertThat(made.sha256()).isEqualTo(sha256(out));
        assertThat(made.workSeed()).isTrue();
        assertThat(entries(out)).containsExactly("manifest.json", "rootfs.ext4", "work-seed.ext4");
        assertThat(layout.stagingDir().toFile().list()).isEmpty();

        ImageInfo image = pull(out.toString(), made.sha256(), null);

        assertThat(image.name()).isEqualTo("dev");
        assertThat(image.managed()).isTrue();
        assertThat(image.source()).isEqualTo("bundle:" + out);
        assertThat(image.digest()).isEqualTo("sha256:" + made.sha256());
        assertThat(image.distro()).isEqualTo("debian");
        assertThat(image.kernelName()).isEqualTo("k1");
        assertThat(image.rootfsPath()).isEqualTo(Path.of(image.dir(), "rootfs.ext4").toString());
        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.fsck().exitCode()).as(rootfs.fsck().stdout()).isZero();
        assertThat(rootfs.cat("/etc/hosts")).isEqualTo("127.0.0.1 localhost\n");
        assertThat(rootfs.stat("/bin/su")).contains("Mode:  04755");
        assertThat(rootfs.stat("/home/dev/notes")).contains("User:  1000").contains("Mode:  0600");
        assertThat(rootfs.stat("/usr/local/sbin/banger-init")).as("make-bundle injects the guest files").contains("Mode:  0755");
        assertThat(Files.size(Path.of(image.rootfsPath()))).isGreaterThanOrEqualTo(1L << 30);
        assertThat(allocatedBytes(Path.of(image.rootfsPath()))).as("unpacked sparse").isLessThan(256L << 20);
        assertThat(new Ext4Inspector(Path.of(image.workSeedPath())).cat("/.bashrc")).isEqualTo("export PS1='bundle$ '\n");
        assertNothingLeftBehind();
    }

    @Test
    void pullOverHttpFromLoopback() throws Exception {
        byte[] bundle = bundle(manifest("web", "k1")).zstd();
        HttpServer server = serve(Map.of("/x.tar.zst", bundle));
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            ImageInfo image = pull(base + "/x.tar.zst?token=secret", sha256(bundle), null);
            assertThat(image.name()).isEqualTo("web");
            assertThat(image.source()).isEqualTo("bundle:" + base + "/x.tar.zst").doesNotContain("secret");
            assertThat(new Ext4Inspector(Path.of(image.rootfsPath())).cat("/etc/hostname")).isEqualTo("small\n");

            assertThatThrownBy(() -> pull(base + "/missing.tar.zst", sha256(bundle), "other"))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("HTTP 404");
            assertNothingLeftBehind();
        } finally {
            server.stop(0);
        }
    }

    @Test
    void gzipBundleWithoutWorkSeedGetsOneFromTheRootfsRoot() throws Exception {
        Path file = write("plain.tar.gz", bundle(manifest("plain", "k1")).gzip());
        ImageInfo image = pull(file.toString(), sha256(file), null);
        assertThat(image.workSeedPath()).as("built from the rootfs's /root").isNotNull();
        assertThat(new Ext4Inspector(Path.of(image.workSeedPath())).cat("/.profile")).isEqualTo("echo from-the-rootfs\n");
        assertNothingLeftBehind();
    }

    @Test
    void aWorkSeedInTheBundleIsKeptAndOneThatCannotBeBuiltIsOnlyAWarning() throws Exception {
        Path file = write("seeded.tar.zst", bundle(manifest("seeded", "k1")).file("work-seed.ext4", smallExt4, 0644).zstd());
        ImageInfo seeded = pull(file.toString(), "SHA256:" + sha256(file).toUpperCase(), null);
        assertThat(Files.readAllBytes(Path.of(seeded.workSeedPath()))).isEqualTo(smallExt4);

        images = withSteps(steps -> steps.withWorkSeedBuilder((tree, out) -> {
            throw new IllegalStateException("no room");
        }));
        Path plain = write("unseeded.tar.zst", bundle(manifest("unseeded", "k1")).zstd());
        ImageInfo unseeded = pull(plain.toString(), sha256(plain), null);
        assertThat(unseeded.workSeedPath()).isNull();
        assertNothingLeftBehind();
    }

    @Test
    void nameAndKernelMayBeLeftOut() throws Exception {
        Path file = write("anon.tar.zst", new TestLayer().file("rootfs.ext4", smallExt4, 0644)
                .file("manifest.json", "{\"distro\": \"alpine\"}").zstd());
        assertThatThrownBy(() -> pull(file.toString(), sha256(file), null)).hasMessageContaining("pass --name");
        ImageInfo image = pull(file.toString(), sha256(file), "named");
        assertThat(image.kernelName()).isNull();
        assertThat(image.distro()).isEqualTo("alpine");
    }

    @Test
    void aTraversalNameInTheRootfsRootGivesNoSeedAndWritesNothingOutside() throws Exception {
        byte[] hostile = Files.readAllBytes(TestExt4.withTraversalEntry(Files.createDirectory(dir.resolve("craft"))));
        Path file = write("hostile.tar.zst", new TestLayer().file("manifest.json", manifest("hostile", "k1"))
                .file("rootfs.ext4", hostile, 0644).zstd());

        ImageInfo image;
        List<String> warnings;
        try (LogCapture log = LogCapture.of(WorkSeeds.class)) {
            image = pull(file.toString(), sha256(file), null);
            warnings = log.messages();
        }

        assertThat(layout.stateDir().resolve("PWNED")).as("where debugfs rdump wrote it").doesNotExist();
        assertThat(TestExt4.findPwned(Integer.MAX_VALUE, dir, layout.stateDir(), layout.cacheDir())).isEmpty();
        assertThat(TestExt4.findPwned(3, Path.of(System.getProperty("java.io.tmpdir")), Path.of("/dev/shm"))).isEmpty();
        assertThat(image.workSeedPath()).as("the seed is refused, the image still usable").isNull();
        assertThat(warnings).anySatisfy(m -> assertThat(m)
                .contains("image hostile: no work-seed (ext4 image rootfs.ext4: directory /root holds an entry named "
                        + "'../../../../PWNED'"));
        assertNothingLeftBehind();
    }

    @Test
    void aSymlinkedRootfsRootGivesNoSeed() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("linked"));
        Files.createSymbolicLink(tree.resolve("root"), Path.of("/etc"));
        byte[] rootfs = Files.readAllBytes(TestExt4.build(tree, dir.resolve("linked.ext4"), "4M"));
        Path file = write("linked.tar.zst", new TestLayer().file("manifest.json", manifest("linked", "k1"))
                .file("rootfs.ext4", rootfs, 0644).zstd());

        try (LogCapture log = LogCapture.of(WorkSeeds.class)) {
            assertThat(pull(file.toString(), sha256(file), null).workSeedPath()).isNull();
            assertThat(log.messages()).anySatisfy(m -> assertThat(m).contains("the image's /root is a symbolic link (to '/etc')"));
        }
        assertNothingLeftBehind();
    }

    // ---- refused bundles: a clear error and nothing left ----

    @Test
    void wrongSha256IsRefused() throws Exception {
        Path file = write("b.tar.zst", bundle(manifest("b", "k1")).zstd());
        assertRefused(() -> pull(file.toString(), "0".repeat(64), null), ErrorCode.BAD_REQUEST,
                "bundle sha256 mismatch: expected " + "0".repeat(64) + ", got " + sha256(file));
    }

    @Test
    void aBundleIsHashedWholeBeforeAnyOfItIsUnpacked() throws Exception {
        Path file = write("b.tar.zst", bundle(manifest("b", "k1")).zstd());
        Path dest = Files.createDirectories(dir.resolve("dest"));
        List<String> seen = new ArrayList<>();

        assertThatThrownBy(() -> BundleReader.extract(file, "0".repeat(64), dest,
                n -> seen.add("checked"), n -> seen.add("unpacked")))
                .hasMessageContaining("bundle sha256 mismatch").hasMessageContaining("nothing was unpacked");
        assertThat(dest.toFile().list()).as("not one file of a bundle that is not the one asked for").isEmpty();
        assertThat(seen).doesNotContain("unpacked");
    }

    @Test
    void truncatedBundleIsReportedAsTheShaMismatchItIs() throws Exception {
        byte[] whole = bundle(manifest("b", "k1")).zstd();
        Path file = write("cut.tar.zst", java.util.Arrays.copyOf(whole, whole.length / 2));
        assertRefused(() -> pull(file.toString(), sha256(whole), null), ErrorCode.BAD_REQUEST, "bundle sha256 mismatch");
    }

    @Test
    void anExtraFileIsRefused() throws Exception {
        Path file = write("b.tar.zst", bundle(manifest("b", "k1")).file("README", "hi").zstd());
        assertRefused(() -> pull(file.toString(), sha256(file), null), ErrorCode.BAD_REQUEST,
                "bundle entry 'README' is not expected; a bundle holds exactly rootfs.ext4 and manifest.json, optionally work-seed.ext4");
    }

    @Test
    void aDotDotEntryIsRefused() throws Exception {
        Path file = write("b.tar.zst", new TestLayer().file("../rootfs.ext4", smallExt4, 0644).file("manifest.json", manifest("b", "k1")).zstd());
        assertRefused(() -> pull(file.toString(), sha256(file), null), ErrorCode.BAD_REQUEST,
                "bundle entry '../rootfs.ext4' climbs out with '..'");
        assertThat(dir.resolve("banger/state/staging/rootfs.ext4")).doesNotExist();
    }

    @Test
    void absoluteNamesDirectoriesLinksAndDuplicatesAreRefused() throws Exception {
        Map<String, TestLayer> hostile = Map.of(
                "is an absolute name", new TestLayer().entry("/rootfs.ext4", TarConstants.LF_NORMAL, 0644, 0, 0, null, smallExt4, Map.of()),
                "is a directory", bundle(manifest("b", "k1")).dir("work-seed.ext4", 0755),
                "is a symbolic link", new TestLayer().symlink("rootfs.ext4", "/dev/sda").file("manifest.json", manifest("b", "k1")),
                "is a hard link", bundle(manifest("b", "k1")).hardlink("work-seed.ext4", "rootfs.ext4"),
                "appears twice", bundle(manifest("b", "k1")).file("./rootfs.ext4", smallExt4, 0644),
                "is not a regular file", bundle(manifest("b", "k1")).fifo("work-seed.ext4"));
        for (Map.Entry<String, TestLayer> h : hostile.entrySet()) {
            Path file = write("hostile.tar.zst", h.getValue().zstd());
            assertRefused(() -> pull(file.toString(), sha256(file), null), ErrorCode.BAD_REQUEST, h.getKey());
            Files.delete(file);
        }
    }

    @Test
    void missingRootfsIsRefused() throws Exception {
        Path file = write("b.tar.zst", new TestLayer().file("manifest.json", manifest("b", "k1")).zstd());
        assertRefused(() -> pull(file.toString(), sha256(file), null), ErrorCode.BAD_REQUEST, "bundle has no rootfs.ext4");
    }

    @Test
    void unknownKernelRefIsNotFound() throws Exception {
        Path file = write("b.tar.zst", bundle(manifest("b", "no-such-kernel")).zstd());
        assertRefused(() -> pull(file.toString(), sha256(file), null), ErrorCode.NOT_FOUND,
                "the bundle boots kernel 'no-such-kernel', which is not imported");
    }

    @Test
    void nameAlreadyTakenIsRefused() throws Exception {
        Path file = write("b.tar.zst", bundle(manifest("taken", "k1")).zstd());
        ImageInfo first = pull(file.toString(), sha256(file), null);
        assertThatThrownBy(() -> pull(file.toString(), sha256(file), null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("image 'taken' already exists");
        assertThatThrownBy(() -> pull(file.toString(), sha256(file), "taken")).hasMessageContaining("image 'taken' already exists");
        assertThat(store.images().list()).containsExactly(first);
        assertNothingLeftBehind();
    }

    @Test
    void otherBadContentIsRefused() throws Exception {
        Path notExt4 = write("b.tar.zst", new TestLayer().file("rootfs.ext4", "not a filesystem")
                .file("manifest.json", manifest("b", "k1")).zstd());
        assertRefused(() -> pull(notExt4.toString(), sha256(notExt4), null), ErrorCode.BAD_REQUEST, "rootfs.ext4 is not an ext4 image");
        Path badJson = write("c.tar.zst", new TestLayer().file("rootfs.ext4", smallExt4, 0644)
                .file("manifest.json", "{\"name\": \"c\", \"kernelRef\": \"k1\"}").zstd());
        assertRefused(() -> pull(badJson.toString(), sha256(badJson), null), ErrorCode.BAD_REQUEST, "manifest.json is not valid");
        Path arm = write("d.tar.zst", new TestLayer().file("rootfs.ext4", smallExt4, 0644)
                .file("manifest.json", "{\"name\": \"d\", \"arch\": \"arm64\"}").zstd());
        assertRefused(() -> pull(arm.toString(), sha256(arm), null), ErrorCode.BAD_REQUEST, "arch 'arm64'");
        Path plainTar = write("e.tar", bundle(manifest("e", "k1")).tar());
        assertRefused(() -> pull(plainTar.toString(), sha256(plainTar), null), ErrorCode.BAD_REQUEST, "neither a .tar.zst nor a .tar.gz");
        assertRefused(() -> pull(plainTar.toString(), "abc", null), ErrorCode.BAD_REQUEST, "--sha256 'abc' is not a sha256");
        assertRefused(() -> pull(dir.resolve("nope.tar.zst").toString(), "0".repeat(64), null), ErrorCode.NOT_FOUND, "does not exist");
        assertRefused(() -> pull("relative.tar.zst", "0".repeat(64), null), ErrorCode.BAD_REQUEST, "is not absolute");
        assertRefused(() -> pull("ftp://host/x.tar.zst", "0".repeat(64), null), ErrorCode.BAD_REQUEST, "only http://, https://");
    }

    @Test
    void aFetchThatFailsHalfWayLeavesNothing() {
        images = withSteps(steps -> steps.withBundleFetch((source, staging, ctx) -> {
            Files.writeString(staging.resolve("partial"), "half a bundle");
            throw new IOException("connection reset");
        }));
        assertRefused(() -> pull("http://127.0.0.1:1/x.tar.zst", "0".repeat(64), "x"), ErrorCode.OPERATION_FAILED,
                "connection reset");
    }

    // ---- make-bundle refusals ----

    @Test
    void makeBundleRefusesBadInputAndLeavesNoOutput() throws Exception {
        Path tar = Files.write(dir.resolve("rootfs.tar"), ROOTFS_TAR.tar());
        Path existing = Files.writeString(dir.resolve("exists.tar.zst"), "mine");
        assertThatThrownBy(() -> make(tar, "x", existing))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThat(Files.readString(existing)).isEqualTo("mine");

        Path nossh = Files.write(dir.resolve("nossh.tar"), new TestLayer().dir("etc", 0755).file("etc/os-release", "x").tar());
        Path out = dir.resolve("nossh.tar.zst");
        assertThatThrownBy(() -> make(nossh, "nossh", out)).hasMessageContaining("no SSH server");
        assertThat(out).doesNotExist();

        assertThatThrownBy(() -> make(dir.resolve("missing.tar"), "x", out))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> images.makeBundle(new ImageApi.BundleMakeParams(tar.toString(), "x", null, null,
                out.toString(), null), ctx())).hasMessageContaining("--kernel-ref");
        assertThat(out).doesNotExist();
        assertNothingLeftBehind();
    }

    private ImageApi.BundleMade make(Path tar, String name, Path out) {
        return images.makeBundle(new ImageApi.BundleMakeParams(tar.toString(), name, "k1", null, out.toString(), "64M"), ctx());
    }

    // ---- helpers ----

    static String manifest(String name, String kernelRef) {
        return "{\"name\": \"" + name + "\", \"distro\": \"debian\", \"arch\": \"amd64\", \"kernel_ref\": \"" + kernelRef + "\"}";
    }

    static TestLayer bundle(String manifest) {
        return new TestLayer().file("manifest.json", manifest).file("rootfs.ext4", smallExt4, 0644);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable pull, ErrorCode code, String message) {
        assertThatThrownBy(pull)
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).as(e.getMessage()).isEqualTo(code))
                .hasMessageContaining(message);
        assertNothingLeftBehind();
    }

    private void assertNothingLeftBehind() {
        String[] staging = layout.stagingDir().toFile().list();
        assertThat(staging == null ? List.of() : List.of(staging)).as("staging").isEmpty();
        List<String> rows = store.images().list().stream().map(ImageInfo::id).sorted().toList();
        String[] dirs = layout.imagesDir().toFile().list();
        assertThat(dirs == null ? List.of() : Stream.of(dirs).sorted().toList()).as("images dir").isEqualTo(rows);
        assertThat(store.kernels().list()).extracting(KernelInfo::name).containsExactly("k1");
    }

    static String sha256(Path file) throws Exception {
        return sha256(Files.readAllBytes(file));
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static List<String> entries(Path bundle) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new ZstdInputStream(Files.newInputStream(bundle));
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static long allocatedBytes(Path file) {
        String blocks = RUNNER.run(Command.of("stat", "-c", "%b %B", file.toString())).stdout().trim();
        String[] parts = blocks.split(" ");
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }

    /** A loopback-only HTTP server with fixed content per path. */
    static HttpServer serve(Map<String, byte[]> files) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = files.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        server.start();
        return server;
    }
}
