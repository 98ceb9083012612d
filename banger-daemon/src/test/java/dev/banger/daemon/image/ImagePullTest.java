package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `image pull` end to end: a real registry, real layers, real mkfs.ext4, checked with debugfs. */
class ImagePullTest {

    @TempDir
    static Path registryDir;
    static TestRegistry registry;

    private static final CommandRunner RUNNER = new CommandRunner();

    @TempDir
    Path dir;
    Store store;
    Config config;
    Layout layout;
    ScratchSpace scratch;
    ImageService images;

    static final TestLayer BASE = new TestLayer()
            .dir("etc", 0755).dir("usr", 0755).dir("usr/sbin", 0755).dir("bin", 0755).dir("root", 0700)
            .dir("home", 0755).dir("home/dev", 0750)
            .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0)
            .file("etc/hosts", "127.0.0.1 localhost\n")
            .file("bin/su", "setuid binary", 04755, 0, 0)
            .file("home/dev/notes", "mine", 0600, 1000, 1000)
            .fileWithPax("bin/ping", "ping", 0755, Map.of("SCHILY.xattr.security.capability", "\u0001\u0000\u0000\u0002"))
            .file("root/.bashrc", "export PS1='banger$ '\n")
            .symlink("bin/sh", "/bin/busybox")
            .hardlink("bin/su-again", "bin/su")
            .file("etc/doomed", "bye")
            .dir("var", 0755).dir("var/cache", 0755).file("var/cache/old", "stale");
    static final TestLayer TOP = new TestLayer()
            .whiteout("etc", "doomed")
            .opaque("var/cache")
            .file("var/cache/new", "fresh")
            .file("etc/motd", "hello from layer 2\n");

    @BeforeAll
    static void startRegistry() {
        registry = TestRegistry.start(registryDir);
        registry.push("base", "v1", TestImage.image(List.of(BASE.gzip(), TOP.gzip()), MediaTypes.OCI_LAYER_GZIP));
        registry.push("base", "zstd", TestImage.image(List.of(BASE.zstd(), TOP.zstd()), MediaTypes.OCI_LAYER_ZSTD));
        TestImage amd64 = TestImage.image(List.of(BASE.gzip(), TOP.gzip()), MediaTypes.OCI_LAYER_GZIP);
        TestImage arm64 = TestImage.image(List.of(new TestLayer().file("etc/arch", "arm64").gzip()), MediaTypes.OCI_LAYER_GZIP,
                MediaTypes.OCI_MANIFEST, TestImage.Config.of("linux", "arm64"));
        registry.push("multi", "v1", TestImage.index(MediaTypes.OCI_INDEX, List.of(arm64, amd64)));
        registry.push("nossh", "v1", TestImage.image(List.of(new TestLayer().dir("etc", 0755).file("etc/os-release", "x").gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        registry.push("hostile", "v1", TestImage.image(List.of(BASE.gzip(),
                new TestLayer().file("../escape", "x").gzip()), MediaTypes.OCI_LAYER_GZIP));
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @BeforeEach
    void open() {
        config = Config.under(dir);
        layout = Layout.of(config);
        store = Store.open(layout.database());
        scratch = ScratchSpace.forState(layout);
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC(), steps());
    }

    /** The real steps, with a scratch space the test can look into. */
    private ImageSteps steps() {
        return ImageSteps.real(RUNNER, layout, config).withScratch(scratch);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, e -> { });
    }

    private ImageInfo pull(String ref, String name) {
        return images.pull(new ImageApi.PullParams(registry.host() + "/" + ref, name, null, null), ctx());
    }

    @Test
    void multiLayerImageBecomesAnExt4WithEverythingInPlace() throws Exception {
        ImageInfo image = pull("base:v1", null);

        assertThat(image.name()).isEqualTo("base-v1");
        assertThat(image.digest()).startsWith("sha256:");
        assertThat(store.images().find("base-v1")).contains(image);
        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.fsck().exitCode()).as(rootfs.fsck().stdout()).isZero();
        assertThat(rootfs.cat("/etc/hosts")).isEqualTo("127.0.0.1 localhost\n");
        assertThat(rootfs.cat("/etc/motd")).isEqualTo("hello from layer 2\n");
        assertThat(rootfs.stat("/bin/su")).contains("Mode:  04755");
        assertThat(rootfs.stat("/home/dev/notes")).contains("User:  1000").contains("Group:  1000").contains("Mode:  0600");
        assertThat(rootfs.stat("/bin/sh")).contains("Fast link dest: \"/bin/busybox\"");
        assertThat(rootfs.stat("/bin/su-again")).contains("Links: 2");
        assertThat(rootfs.debugfs("ea_list /bin/ping")).contains("security.capability");
        assertThat(rootfs.exists("/etc/doomed")).as("whited out").isFalse();
        assertThat(rootfs.exists("/var/cache/old")).as("hidden by opaque dir").isFalse();
        assertThat(rootfs.cat("/var/cache/new")).isEqualTo("fresh");
        assertThat(rootfs.stat("/usr/local/sbin/banger-init")).contains("Mode:  0755");
        assertThat(Files.size(Path.of(image.rootfsPath()))).isGreaterThanOrEqualTo(1L << 30);

        assertThat(image.workSeedPath()).isEqualTo(Path.of(image.dir(), "work-seed.ext4").toString());
        assertThat(new Ext4Inspector(Path.of(image.workSeedPath())).cat("/.bashrc")).isEqualTo("export PS1='banger$ '\n");
        assertNothingLeftInStaging();
    }

    @Test
    void downloadProgressCountsEachByteOnce() {
        List<java.util.Map<String, Object>> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        OperationContext ctx = new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false, events::add);
        byte[] noise = new byte[3 << 20]; // several reads' worth, so a running total would be counted more than once
        new java.util.Random(7).nextBytes(noise);
        registry.push("noisy", "v1", TestImage.image(List.of(BASE.gzip(), new TestLayer().file("noise", noise, 0644).gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        images.pull(new ImageApi.PullParams(registry.host() + "/noisy:v1", "counted", null, null), ctx);
        List<java.util.Map<String, Object>> fetch = events.stream().filter(e -> "fetch layers".equals(e.get("stage"))).toList();
        assertThat(fetch).isNotEmpty();
        long total = ((Number) fetch.getLast().get("total")).longValue();
        assertThat(fetch).allSatisfy(e -> assertThat(((Number) e.get("done")).longValue()).isLessThanOrEqualTo(total));
        assertThat(fetch.stream().mapToLong(e -> ((Number) e.get("done")).longValue()).max().orElse(0)).isEqualTo(total);
    }

    @Test
    void anIndexWithTwoPlatformsPullsTheAmd64Image() {
        ImageInfo image = pull("multi:v1", null);
        Ext4Inspector rootfs = new Ext4Inspector(Path.of(image.rootfsPath()));
        assertThat(rootfs.cat("/etc/motd")).isEqualTo("hello from layer 2\n");
        assertThat(rootfs.exists("/etc/arch")).as("nothing of the arm64 image").isFalse();
    }

    @Test
    void zstdLayersPullToo() {
        ImageInfo image = pull("base:zstd", "zstd-image");
        assertThat(new Ext4Inspector(Path.of(image.rootfsPath())).cat("/etc/motd")).isEqualTo("hello from layer 2\n");
    }

    @Test
    void secondPullOfTheSameImageDownloadsNoBlob() throws Exception {
        pull("base:v1", "first");
        long blobGets = blobRequests();
        ImageInfo second = pull("base:v1", "second");
        assertThat(blobRequests()).isEqualTo(blobGets);
        assertThat(second.name()).isEqualTo("second");
    }

    @Test
    void aSecondPullReusesTheBuiltRootfsUntilPruned() throws Exception {
        ImageInfo one = pull("base:v1", "one");
        ImageInfo two = pull("base:v1", "two");
        Path a = Path.of(one.rootfsPath());
        Path b = Path.of(two.rootfsPath());
        assertThat(Files.getAttribute(b, "unix:ino")).as("the same built file, linked").isEqualTo(Files.getAttribute(a, "unix:ino"));
        assertThat(two.workSeedPath()).isNotNull();
        assertThat(two.digest()).isEqualTo(one.digest());
        assertThat(new Ext4Inspector(b).cat("/etc/motd")).isEqualTo("hello from layer 2\n");

        images.delete("one");
        images.delete("two");
        assertThat(Files.getAttribute(a.getFileSystem().getPath(dir.resolve("cache/rootfs").toString()), "unix:nlink")).isNotNull();
        ImageApi.CachePruneResult dry = images.pruneCache(new ImageApi.CachePruneParams(true));
        assertThat(dry.bytes()).as("the cached rootfs is only held by the cache now").isGreaterThan(0);
        images.pruneCache(new ImageApi.CachePruneParams(false));
        assertThat(dir.resolve("cache/rootfs").toFile().list()).isEmpty();

        ImageInfo three = pull("base:v1", "three");
        assertThat(new Ext4Inspector(Path.of(three.rootfsPath())).cat("/etc/motd")).as("built again after prune").isEqualTo("hello from layer 2\n");
    }

    @Test
    void sizeOptionSetsTheRootfsSizeAndTooSmallIsRefused() {
        ImageInfo image = images.pull(new ImageApi.PullParams(registry.host() + "/base:v1", "sized", null, "1536M"), ctx());
        assertThat(image.sizeBytes()).isEqualTo(1536L << 20);
        assertThatThrownBy(() -> images.pull(new ImageApi.PullParams(registry.host() + "/base:v1", "tiny", null, "1M"), ctx()))
                .isInstanceOf(BangerException.class).hasMessageContaining("--size 1M is too small");
        assertNothingLeftInStaging();
        assertThat(store.images().find("tiny")).isEmpty();
    }

    @Test
    void nameAlreadyTakenIsRefusedBeforeDownloading() {
        pull("base:v1", "taken");
        assertThatThrownBy(() -> pull("base:zstd", "taken"))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("image 'taken' already exists");
        assertNothingLeftInStaging();
        assertThat(store.images().list()).hasSize(1);
    }

    @Test
    void unknownTagIsNotFoundAndLeavesNothing() {
        assertThatThrownBy(() -> pull("base:nope", null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessageContaining("nope");
        assertNothingLeftInStaging();
        assertThat(store.images().list()).isEmpty();
    }

    @Test
    void imageWithoutAnSshServerIsRefusedWithTheReason() {
        assertThatThrownBy(() -> pull("nossh:v1", null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("no SSH server").hasMessageContaining("openssh-server");
        assertNothingLeftInStaging();
        assertThat(store.images().list()).isEmpty();
    }

    @Test
    void hostileLayerIsRefusedNamingTheEntry() {
        assertThatThrownBy(() -> pull("hostile:v1", null))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("../escape");
        assertThat(dir.resolve("state/escape")).doesNotExist();
        assertNothingLeftInStaging();
        assertThat(store.images().list()).isEmpty();
    }

    @Test
    void unknownKernelRefIsNotFound() {
        assertThatThrownBy(() -> images.pull(new ImageApi.PullParams(registry.host() + "/base:v1", null, "no-such-kernel", null), ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessageContaining("kernel 'no-such-kernel'");
    }

    @Test
    void workSeedFailureIsNotFatal() {
        images = new ImageService(store, RUNNER, layout, config, Clock.systemUTC(), steps().withWorkSeedBuilder((tree, out) -> {
            throw new IllegalStateException("no /root in this image");
        }));
        ImageInfo image = pull("base:v1", "seedless");
        assertThat(image.workSeedPath()).isNull();
        assertThat(Path.of(image.dir(), "work-seed.ext4")).doesNotExist();
        assertThat(Path.of(image.rootfsPath())).exists();
    }

    @Test
    void deleteRemovesRowAndFiles() {
        ImageInfo image = pull("base:v1", "gone-soon");
        ImageInfo deleted = images.delete("gone-soon");
        assertThat(deleted.id()).isEqualTo(image.id());
        assertThat(Path.of(image.dir())).doesNotExist();
        assertThat(store.images().find("gone-soon")).isEmpty();
        assertThatThrownBy(() -> images.delete("gone-soon")).hasMessageContaining("image 'gone-soon' not found");
    }

    private long blobRequests() throws Exception {
        try (Stream<String> lines = Files.lines(registry.logFile())) {
            return lines.filter(l -> l.contains("GET /v2/base/blobs/sha256:")).count();
        }
    }

    private void assertNothingLeftInStaging() {
        assertThat(layout.stagingDir().toFile().list()).isEmpty();
        assertThat(scratch.currentRoot()).as("no tree nor dir left on the tmpfs").isNull();
        List<String> rows = store.images().list().stream().map(ImageInfo::id).sorted().toList();
        String[] dirs = layout.imagesDir().toFile().list();
        assertThat(dirs == null ? List.of() : Stream.of(dirs).sorted().toList()).isEqualTo(rows);
    }
}
