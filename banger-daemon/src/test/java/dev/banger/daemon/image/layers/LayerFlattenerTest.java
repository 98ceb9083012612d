package dev.banger.daemon.image.layers;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.testing.TestLayer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LayerFlattenerTest {

    private static final String DIGEST = "sha256:" + "ab12".repeat(16);
    private static final String SHOWN = "layer sha256:ab12ab12ab12…";
    private static final FileTime CANARY_MTIME = FileTime.fromMillis(1_500_000_000_000L);

    @TempDir
    Path tmp;
    Path root;
    Path outside;
    Path canary;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(tmp.resolve("root"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        canary = Files.writeString(outside.resolve("canary"), "canary");
        Files.setAttribute(canary, "unix:mode", 0644);
        Files.setLastModifiedTime(canary, CANARY_MTIME);
        Files.setLastModifiedTime(outside, CANARY_MTIME);
    }

    // ---- what a pulled image looks like -------------------------------------------------------

    @Test
    void whiteoutsAndOpaqueDirectoriesHideLowerLayers() throws IOException {
        FlattenResult r = flatten(false,
                new TestLayer()
                        .dir("etc", 0755).file("etc/gone", "a").file("etc/kept", "b")
                        .dir("opt", 0755).dir("opt/d", 0755).file("opt/d/old", "old")
                        .dir("opt/d/sub", 0755).file("opt/d/sub/old2", "old2")
                        .dir("usr", 0755).dir("usr/share", 0755).file("usr/share/doc", "doc"),
                new TestLayer()
                        .whiteout("etc", "gone")
                        .whiteout("usr", "share")           // a whole directory
                        .whiteout("", "never-existed")      // harmless
                        .file("opt/d/before", "this layer, before the marker")
                        .file("opt/d/sub/mine", "this layer, under a lower directory")
                        .opaque("opt/d")
                        .file("opt/d/after", "this layer, after the marker"));

        assertThat(tree()).containsExactlyInAnyOrder(
                "etc/", "etc/kept", "opt/", "opt/d/", "opt/d/before", "opt/d/after",
                "opt/d/sub/", "opt/d/sub/mine", "usr/");
        assertThat(Files.readString(root.resolve("opt/d/before"))).isEqualTo("this layer, before the marker");
        assertThat(r.files()).isEqualTo(4);
        assertThat(r.directories()).isEqualTo(5);
        assertThat(r.inodes()).isEqualTo(9);
    }

    @Test
    void aWhiteoutHidesOnlyWhatLowerLayersAdded() throws IOException {
        flatten(false,
                new TestLayer().file("x", "lower").dir("d", 0755).file("d/lower", "lower"),
                new TestLayer()
                        .file("x", "upper").whiteout("", "x")          // this layer's x stays
                        .file("d/mine", "upper").whiteout("", "d"));   // d stays, only with this layer's file

        assertThat(tree()).containsExactlyInAnyOrder("x", "d/", "d/mine");
        assertThat(Files.readString(root.resolve("x"))).isEqualTo("upper");
    }

    @Test
    void laterLayersReplaceEntriesOfAnotherType() throws IOException {
        flatten(false,
                new TestLayer()
                        .file("file-then-dir", "f")
                        .dir("dir-then-file", 0755).file("dir-then-file/child", "c")
                        .file("file-then-link", "f")
                        .symlink("link-then-dir", "/etc")
                        .dir("kept", 0755).file("kept/child", "stays"),
                new TestLayer()
                        .dir("file-then-dir", 0750).file("file-then-dir/x", "x")
                        .file("dir-then-file", "now a file")
                        .symlink("file-then-link", "elsewhere")
                        .dir("link-then-dir", 0755)
                        .dir("kept", 0700));   // an existing directory: only its mode changes

        assertThat(tree()).containsExactlyInAnyOrder(
                "file-then-dir/", "file-then-dir/x", "dir-then-file", "file-then-link",
                "link-then-dir/", "kept/", "kept/child");
        assertThat(Files.readString(root.resolve("dir-then-file"))).isEqualTo("now a file");
        assertThat(Files.readSymbolicLink(root.resolve("file-then-link"))).hasToString("elsewhere");
        assertThat(mode(root.resolve("file-then-dir"))).isEqualTo(0750);
        assertThat(mode(root.resolve("kept"))).isEqualTo(0700);
    }

    @Test
    void replacingOneNameOfAHardLinkLeavesTheOtherAlone() throws IOException {
        flatten(false,
                new TestLayer().file("a", "original").hardlink("b", "a"),
                new TestLayer().file("b", "replaced"));

        assertThat(Files.readString(root.resolve("a"))).isEqualTo("original");
        assertThat(Files.readString(root.resolve("b"))).isEqualTo("replaced");
    }

    @Test
    void hardLinksShareOneInodeAndAreCountedOnce() throws IOException {
        FlattenResult r = flatten(false,
                new TestLayer().dir("bin", 0755).file("bin/busybox", "0123456789", 0755, 0, 0)
                        .hardlink("bin/sh", "bin/busybox"),
                new TestLayer().hardlink("bin/ls", "./bin/busybox"));   // across layers, "./" spelling

        Object ino = Files.getAttribute(root.resolve("bin/busybox"), "unix:ino");
        assertThat(Files.getAttribute(root.resolve("bin/sh"), "unix:ino")).isEqualTo(ino);
        assertThat(Files.getAttribute(root.resolve("bin/ls"), "unix:ino")).isEqualTo(ino);
        assertThat(Files.getAttribute(root.resolve("bin/ls"), "unix:nlink")).isEqualTo(3);
        assertThat(r.files()).isEqualTo(1);
        assertThat(r.hardlinks()).isEqualTo(2);
        assertThat(r.contentBytes()).isEqualTo(10);
        assertThat(r.inodes()).isEqualTo(2);   // bin/ and the file
    }

    @Test
    void symlinkTargetsAreKeptVerbatimAndNeverFollowed() throws IOException {
        FileTime passwdBefore = Files.getLastModifiedTime(Path.of("/etc/passwd"));
        FlattenResult r = flatten(false, new TestLayer()
                .symlink("absolute", "/etc/passwd")
                .symlink("relative", "../lib/libc.so.6")
                .symlink("dangling", "no/such/file")
                .symlink("outside", outside.toString()));

        assertThat(Files.readSymbolicLink(root.resolve("absolute"))).hasToString("/etc/passwd");
        assertThat(Files.readSymbolicLink(root.resolve("relative"))).hasToString("../lib/libc.so.6");
        assertThat(Files.readSymbolicLink(root.resolve("dangling"))).hasToString("no/such/file");
        assertThat(Files.getLastModifiedTime(root.resolve("absolute"), NOFOLLOW_LINKS).toInstant())
                .isEqualTo(TestLayer.MTIME);
        assertThat(r.symlinks()).isEqualTo(4);
        assertThat(Files.getLastModifiedTime(Path.of("/etc/passwd"))).isEqualTo(passwdBefore);
        assertOutsideUntouched();
    }

    @Test
    void setuidSetgidAndStickyBitsSurvive() throws IOException {
        flatten(false, new TestLayer()
                .dir("usr", 0755).dir("usr/bin", 0755)
                .file("usr/bin/sudo", "#!", 04755, 0, 0)
                .file("usr/bin/wall", "#!", 02755, 0, 0)
                .dir("tmp", 01777)
                .dir("locked", 0500).file("locked/inside", "written before the directory was locked"));

        assertThat(mode(root.resolve("usr/bin/sudo"))).isEqualTo(04755);
        assertThat(mode(root.resolve("usr/bin/wall"))).isEqualTo(02755);
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("locked"))).isEqualTo(0500);
        assertThat(root.resolve("locked/inside")).exists();
    }

    @Test
    void ownershipIsAppliedWhenRunningAsRoot() throws IOException {
        Assumptions.assumeTrue(ownUid() == 0, "chown needs root");
        FlattenResult r = flatten(true, new TestLayer()
                .file("ping", "#!", 04755, 1000, 1001)
                .entry("home/", TarConstants.LF_DIR, 0750, 33, 34, null, null, Map.of())
                .entry("link", TarConstants.LF_SYMLINK, 0777, 7, 8, "ping", null, Map.of()));

        assertThat(owner(root.resolve("ping"))).isEqualTo("1000:1001");
        assertThat(mode(root.resolve("ping"))).as("chown before chmod keeps setuid").isEqualTo(04755);
        assertThat(owner(root.resolve("home"))).isEqualTo("33:34");
        assertThat(owner(root.resolve("link"))).isEqualTo("7:8");
        assertThat(owner(root)).isEqualTo("0:0");
        assertThat(r.fixups()).isEmpty();
    }

    @Test
    void withoutOwnershipDifferingOwnersBecomeFixups() throws IOException {
        int uid = ownUid();
        int gid = ownGid();
        FlattenResult r = flatten(false, new TestLayer()
                .file("theirs", "x", 0644, 1000, 1001)
                .entry("mine", TarConstants.LF_NORMAL, 0644, uid, gid, null, new byte[0], Map.of())
                .hardlink("theirs-too", "theirs"));

        assertThat(owner(root.resolve("theirs"))).as("not chowned").isEqualTo(uid + ":" + gid);
        Map<String, Fixup> byPath = byPath(r);
        assertThat(byPath.get("theirs").uid()).isEqualTo(1000);
        assertThat(byPath.get("theirs").gid()).isEqualTo(1001);
        assertThat(byPath.get("theirs-too").uid()).isEqualTo(1000);
        assertThat(byPath).doesNotContainKey("mine");
        if (uid != 0 || gid != 0) {
            assertThat(byPath.get(".").uid()).as("the root, like any implicit directory, is root's").isZero();
        }
    }

    @Test
    void mtimesComeFromTheTarEvenForDirectoriesFilledLater() throws IOException {
        flatten(false,
                new TestLayer().dir("d", 0755).file("d/f", "x").symlink("d/l", "f"),
                new TestLayer().file("d/g", "added later"));

        for (String p : List.of("d", "d/f", "d/l", "d/g")) {
            assertThat(Files.getLastModifiedTime(root.resolve(p), NOFOLLOW_LINKS).toInstant())
                    .as(p).isEqualTo(TestLayer.MTIME);
        }
    }

    @Test
    void xattrsFromPaxHeadersBecomeFixupsByteForByte() throws IOException {
        // cap_setuid,cap_net_raw+ep: bytes over 0x7f that a UTF-8 decoder would mangle.
        byte[] capability = {0x01, 0x00, 0x00, 0x02, (byte) 0x80, 0x20, 0x00, 0x00, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        FlattenResult r = flatten(false, new TestLayer()
                .paxHeader(Map.of("SCHILY.xattr.security.capability", capability))
                .file("usr/bin/ping", "elf", 0755, 0, 0)
                .fileWithPax("text", "x", 0644, Map.of("SCHILY.xattr.user.origin", "registry"))
                .fileWithPax("bad-name", "x", 0644, Map.of("SCHILY.xattr.user.a b;rm", "ignored")));

        Map<String, Fixup> byPath = byPath(r);
        assertThat(byPath.get("usr/bin/ping").xattrs()).containsOnlyKeys("security.capability");
        assertThat(byPath.get("usr/bin/ping").xattrs().get("security.capability")).isEqualTo(capability);
        assertThat(new String(byPath.get("text").xattrs().get("user.origin"), UTF_8)).isEqualTo("registry");
        assertThat(byPath.containsKey("bad-name") ? byPath.get("bad-name").xattrs() : Map.of())
                .as("a name a debugfs script could trip on is dropped").isEmpty();
        assertThat(Files.readString(root.resolve("usr/bin/ping"))).isEqualTo("elf");
    }

    @Test
    void gzipZstdAndPlainTarAreToldApartByTheirBytes() throws IOException {
        TestLayer layer = new TestLayer().dir("etc", 0755).file("etc/os-release", "ID=test\n");
        for (Function<TestLayer, byte[]> encoding : List.<Function<TestLayer, byte[]>>of(
                TestLayer::tar, TestLayer::gzip, TestLayer::zstd)) {
            Path dir = Files.createDirectory(tmp.resolve("r" + System.nanoTime()));
            LayerFlattener f = new LayerFlattener(dir, false);
            f.apply(new ByteArrayInputStream(encoding.apply(layer)), DIGEST);
            f.finish();
            assertThat(Files.readString(dir.resolve("etc/os-release"))).isEqualTo("ID=test\n");
        }
    }

    @Test
    void devicesAndFifosAreSkippedAndCounted() throws IOException {
        FlattenResult r = flatten(false, new TestLayer()
                .dir("dev", 0755).charDevice("dev/null").fifo("dev/initctl").file("dev/.keep", ""));

        assertThat(tree()).containsExactlyInAnyOrder("dev/", "dev/.keep");
        assertThat(r.skippedSpecial()).isEqualTo(2);
    }

    @Test
    void nonAsciiNamesAreKept() throws IOException {
        Assumptions.assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")), "needs LANG=C.UTF-8");
        String name = "NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt";
        flatten(false, new TestLayer().file(name, "pem").symlink("link", name));

        assertThat(root.resolve(name)).hasContent("pem");
        assertThat(Files.readSymbolicLink(root.resolve("link"))).hasToString(name);
    }

    @Test
    void aMissingParentDirectoryIsCreatedAndCounted() throws IOException {
        FlattenResult r = flatten(false, new TestLayer().file("a/b/c", "deep"));

        assertThat(Files.readString(root.resolve("a/b/c"))).isEqualTo("deep");
        assertThat(mode(root.resolve("a/b"))).isEqualTo(0755);
        assertThat(r.directories()).isEqualTo(2);
        assertThat(r.contentBytes()).isEqualTo(4);
    }

    // ---- hostile images ------------------------------------------------------------------------

    @Test
    void dotDotNamesAreRejected() {
        assertRejected(new TestLayer().file("../x", "pwned"), "entry '../x' escapes the image root");
        assertRejected(new TestLayer().dir("a", 0755).file("a/../../x", "pwned"),
                "entry 'a/../../x' escapes the image root");
    }

    @Test
    void absoluteNamesAreRejected() {
        assertRejected(new TestLayer().file("/etc/x", "pwned"), "entry '/etc/x' escapes the image root");
        // Long enough for a PAX path record, which commons-compress would silently make relative.
        String longName = "/tmp/" + "d".repeat(120) + "/x";
        assertRejected(new TestLayer().file(longName, "pwned"), "entry '" + longName + "' escapes the image root");
        assertRejected(new TestLayer().gnuLongNames().file(longName, "pwned"),
                "entry '" + longName + "' escapes the image root");
        String longTarget = "/etc/" + ".".repeat(120) + "/passwd";
        assertRejected(new TestLayer().gnuLongNames().hardlink("l", longTarget),
                "entry 'l' links to '" + longTarget + "', which escapes the image root");
    }

    @Test
    void writingThroughASymlinkInTheSameLayerIsRejected() {
        assertRejected(new TestLayer().symlink("evil", outside.toString()).file("evil/x", "pwned"),
                "entry 'evil/x' goes through the symbolic link 'evil'");
        assertRejected(new TestLayer().symlink("evil", "../..").dir("evil/tmp", 0777),
                "entry 'evil/tmp/' goes through the symbolic link 'evil'");
    }

    @Test
    void writingThroughASymlinkFromAnEarlierLayerIsRejected() throws IOException {
        assertRejectedAfter(new TestLayer().symlink("evil", outside.toString()),
                new TestLayer().file("evil/canary", "overwritten"),
                "entry 'evil/canary' goes through the symbolic link 'evil'");
        assertRejectedAfter(new TestLayer().dir("a", 0755).symlink("a/up", "../.."),
                new TestLayer().symlink("a/up/outside/new-link", "/etc/shadow"),
                "entry 'a/up/outside/new-link' goes through the symbolic link 'a/up'");
    }

    @Test
    void entriesReplaceASymlinkToTheOutsideInsteadOfFollowingIt() throws IOException {
        flatten(ownUid() == 0,
                new TestLayer().symlink("file", canary.toString()).symlink("dir", outside.toString())
                        .symlink("link", canary.toString()).file("target", "in the image"),
                new TestLayer().file("file", "x", 0777, 1234, 1234).dir("dir", 0777)
                        .hardlink("link", "target"));

        assertThat(root.resolve("file")).isRegularFile().hasContent("x");
        assertThat(root.resolve("dir")).isDirectory();
        assertThat(Files.getAttribute(root.resolve("link"), "unix:ino"))
                .isEqualTo(Files.getAttribute(root.resolve("target"), "unix:ino"));
        assertOutsideUntouched();
    }

    @Test
    void whiteoutsThroughASymlinkAreRejected() throws IOException {
        assertRejectedAfter(new TestLayer().symlink("evil", outside.toString()),
                new TestLayer().whiteout("evil", "canary"),
                "entry 'evil/.wh.canary' goes through the symbolic link 'evil'");
        assertRejectedAfter(new TestLayer().symlink("evil", "../outside"),
                new TestLayer().opaque("evil"),
                "entry 'evil/.wh..wh..opq' goes through the symbolic link 'evil'");
    }

    @Test
    void hardLinksOutsideTheRootOrToNonFilesAreRejected() throws IOException {
        assertRejected(new TestLayer().hardlink("passwd", "/etc/passwd"),
                "entry 'passwd' links to '/etc/passwd', which escapes the image root");
        assertRejected(new TestLayer().hardlink("c", "../outside/canary"),
                "entry 'c' links to '../outside/canary', which escapes the image root");
        assertRejectedAfter(new TestLayer().symlink("evil", outside.toString()),
                new TestLayer().hardlink("c", "evil/canary"),
                "entry 'c' links to 'evil/canary', which goes through the symbolic link 'evil'");
        assertRejected(new TestLayer().symlink("s", "/etc/passwd").hardlink("c", "s"),
                "entry 'c' links to 's', which is a symbolic link");
        assertRejected(new TestLayer().hardlink("c", "missing"),
                "entry 'c' links to 'missing', which does not exist");
        assertRejected(new TestLayer().dir("d", 0755).hardlink("c", "d"),
                "entry 'c' links to 'd', which is not a regular file");
    }

    @Test
    void replacingTheRootIsRejected() {
        assertRejected(new TestLayer().symlink(".", "/"), "entry '.' would replace the image root");
    }

    @Test
    void aTruncatedGzipLayerIsRejected() {
        byte[] random = new byte[200_000];
        new Random(1).nextBytes(random);
        byte[] gzip = new TestLayer().file("big", random, 0644).gzip();

        assertRejectedBytes(Arrays.copyOf(gzip, gzip.length / 2), "is corrupt or truncated (read as gzip-compressed tar)");
        assertRejectedBytes(Arrays.copyOf(gzip, gzip.length - 4), "is corrupt or truncated (read as gzip-compressed tar)");
    }

    @Test
    void aTruncatedPlainTarLayerIsRejected() {
        byte[] tar = new TestLayer().file("big", new byte[100_000], 0644).tar();

        assertRejectedBytes(Arrays.copyOf(tar, 50_000), "truncated");
    }

    @Test
    void aTruncatedZstdLayerIsRejected() {
        byte[] random = new byte[200_000];
        new Random(2).nextBytes(random);
        byte[] zstd = new TestLayer().file("big", random, 0644).zstd();

        assertRejectedBytes(Arrays.copyOf(zstd, zstd.length / 2), "is corrupt or truncated (read as zstd-compressed tar)");
    }

    @Test
    void randomBytesAreRejected() {
        byte[] random = new byte[10_000];
        new Random(3).nextBytes(random);
        random[0] = 'x';

        assertRejectedBytes(random, "is corrupt or truncated (read as tar)");
        byte[] gzipMagic = random.clone();
        gzipMagic[0] = 0x1f;
        gzipMagic[1] = (byte) 0x8b;
        assertRejectedBytes(gzipMagic, "is corrupt or truncated (read as gzip-compressed tar)");
        byte[] zstdMagic = random.clone();
        zstdMagic[0] = 0x28;
        zstdMagic[1] = (byte) 0xb5;
        zstdMagic[2] = 0x2f;
        zstdMagic[3] = (byte) 0xfd;
        assertRejectedBytes(zstdMagic, "is corrupt or truncated (read as zstd-compressed tar)");
        assertRejectedBytes(new byte[0], "the blob is empty");
    }

    @Test
    void anInterruptedThreadStopsWithCancelled() {
        LayerFlattener f = new LayerFlattener(root, false);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> apply(f, new TestLayer().file("a", "").tar()))
                    .isInstanceOf(BangerException.class)
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.CANCELLED));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aFailedFlattenerRefusesMoreWork() {
        LayerFlattener f = new LayerFlattener(root, false);
        assertThatThrownBy(() -> apply(f, new TestLayer().file("../x", "").tar())).isInstanceOf(BangerException.class);

        assertThatThrownBy(() -> apply(f, new TestLayer().file("ok", "").tar())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(f::finish).isInstanceOf(IllegalStateException.class);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private FlattenResult flatten(boolean applyOwnership, TestLayer... layers) {
        LayerFlattener f = new LayerFlattener(root, applyOwnership);
        for (TestLayer layer : layers) {
            apply(f, layer.tar());
        }
        return f.finish();
    }

    private static void apply(LayerFlattener f, byte[] blob) {
        f.apply(new ByteArrayInputStream(blob), DIGEST);
    }

    private void assertRejected(TestLayer layer, String message) {
        assertRejected(() -> flatten(false, layer), message);
    }

    private void assertRejectedAfter(TestLayer first, TestLayer second, String message) throws IOException {
        assertRejected(() -> flatten(false, first, second), message);
    }

    private void assertRejectedBytes(byte[] blob, String message) {
        assertRejected(() -> apply(new LayerFlattener(root, false), blob), message);
    }

    /** Rejected with BAD_REQUEST naming the layer and the entry, and nothing outside the root changed. */
    private void assertRejected(ThrowingCallable flatten, String message) {
        try {
            assertThatThrownBy(flatten)
                    .isInstanceOf(BangerException.class)
                    .hasMessageStartingWith(SHOWN)
                    .hasMessageContaining(message)
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST));
            assertOutsideUntouched();
        } finally {
            resetRoot();
        }
    }

    private void assertOutsideUntouched() {
        try (Stream<Path> siblings = Files.list(tmp); Stream<Path> inOutside = Files.list(outside)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("root", "outside");
            assertThat(inOutside.map(p -> p.getFileName().toString())).containsExactly("canary");
            assertThat(Files.readString(canary)).isEqualTo("canary");
            assertThat(Files.getLastModifiedTime(canary)).isEqualTo(CANARY_MTIME);
            assertThat(Files.getLastModifiedTime(outside)).isEqualTo(CANARY_MTIME);
            assertThat(mode(canary)).isEqualTo(0644);
            assertThat(Files.getAttribute(canary, "unix:nlink")).isEqualTo(1);
            assertThat(Path.of("/etc/x")).doesNotExist();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void resetRoot() {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).filter(p -> !p.equals(root)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Every path under the root, directories with a trailing '/'. */
    private Set<String> tree() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> !p.equals(root))
                    .map(p -> root.relativize(p) + (Files.isDirectory(p, NOFOLLOW_LINKS) ? "/" : ""))
                    .collect(Collectors.toSet());
        }
    }

    private static Map<String, Fixup> byPath(FlattenResult r) {
        Map<String, Fixup> m = new HashMap<>();
        r.fixups().forEach(f -> m.put(f.path(), f));
        return m;
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW_LINKS) & 07777;
    }

    private static String owner(Path p) throws IOException {
        return Files.getAttribute(p, "unix:uid", NOFOLLOW_LINKS) + ":" + Files.getAttribute(p, "unix:gid", NOFOLLOW_LINKS);
    }

    private int ownUid() throws IOException {
        return (Integer) Files.getAttribute(outside, "unix:uid");
    }

    private int ownGid() throws IOException {
        return (Integer) Files.getAttribute(outside, "unix:gid");
    }
}
