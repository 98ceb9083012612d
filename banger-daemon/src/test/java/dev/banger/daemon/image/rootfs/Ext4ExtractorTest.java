package dev.banger.daemon.image.rootfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.LogCapture;
import dev.banger.daemon.image.testing.TestExt4;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Ext4Extractor} and {@link Ext4Reader} on real images from mkfs.ext4 -d (ext4 with and
 * without 64bit, htree, ext3, ext2 with 1 KiB blocks and indirect blocks), checked against the
 * source tree; and hostile images made by patching real ones, each refused with a message naming
 * what is wrong and nothing written outside the extraction directory.
 */
class Ext4ExtractorTest {

    static final CommandRunner RUNNER = new CommandRunner();
    static final Instant MTIME = Instant.parse("2021-03-04T05:06:07Z");
    static final Ext4Extractor EXTRACTOR = new Ext4Extractor(Ext4Extractor.Limits.DEFAULT, true);

    @TempDir
    Path dir;

    // ---- round trips ----

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "ext4-32bit-128-byte-inodes", "ext3-1k-inodes", "ext2-1k-blocks"})
    void aRealTreeComesOutAsItWent(String flavour) throws Exception {
        Path tree = sourceTree();
        String[] options = switch (flavour) {
            case "ext4" -> new String[] {"-O", "64bit", "-I", "256"};
            case "ext4-32bit-128-byte-inodes" -> new String[] {"-O", "^64bit", "-I", "128"};
            case "ext3-1k-inodes" -> new String[] {"-t", "ext3", "-I", "1024"};
            case "ext2-1k-blocks" -> new String[] {"-t", "ext2", "-b", "1024"};
            default -> throw new IllegalArgumentException(flavour);
        };
        Path image = TestExt4.build(tree, dir.resolve(flavour + ".ext4"), "96M", options);
        if (flavour.equals("ext4")) {
            RUNNER.runAllowingFailure(Command.of("e2fsck", "-fyD", image.toString())); // index the big directory
            assertThat(debugfs(image, "htree /root/big")).as("the big directory is an htree").contains("Root node dump");
            assertThat(debugfs(image, "stats")).contains("64bit").contains("extent");
        }
        if (flavour.startsWith("ext2")) {
            assertThat(debugfs(image, "stats")).doesNotContain("extent").contains("Block size:               1024");
            assertThat(debugfs(image, "stat /root/sparse")).as("double indirect blocks in use").contains("(DIND)");
        }
        Path out = Files.createDirectory(dir.resolve("out"));
        try (LogCapture warnings = LogCapture.of(Ext4Extractor.class)) {
            EXTRACTOR.extractRoot(image, out);
            assertThat(warnings.messages()).anySatisfy(m -> assertThat(m).contains("skipped /root/fifo: a named pipe"));
        }

        assertSameTree(tree.resolve("root"), out.resolve("root"));
        Path sparse = out.resolve("root/sparse");
        assertThat(Files.size(sparse)).isEqualTo(32L << 20);
        assertThat(allocatedBytes(sparse)).as("holes stay holes").isLessThan(2L << 20);
        assertThat(mode(out.resolve("root/suid"))).as("setuid dropped").isEqualTo("rwxr-xr-x");
        assertThat(Files.getAttribute(out.resolve("root/hard"), "unix:ino"))
                .as("a hard link stays one").isEqualTo(Files.getAttribute(out.resolve("root/big/hard2"), "unix:ino"));
        assertThat(out.resolve("root/fifo")).doesNotExist();
    }

    @Test
    void anImageWithoutRootIsNotFound() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/etc"));
        Path image = TestExt4.build(tree.getParent(), dir.resolve("noroot.ext4"), "8M");
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, dir))
                .isInstanceOf(BangerException.class).hasMessage("the image has no /root directory to seed the work disk from");
    }

    // ---- hostile images ----

    @Test
    void aTraversalNameIsRefusedAndNothingIsWrittenOutside() throws Exception {
        Path image = TestExt4.withTraversalEntry(dir);
        Path out = Files.createDirectories(dir.resolve("a/b/c/out")); // debugfs rdump would write dir/a/PWNED

        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, out))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessageContaining("directory /root holds an entry named '../../../../PWNED'")
                .hasMessageContaining("a name must not be empty, '.' or '..', or contain '/' or NUL");
        assertThat(TestExt4.findPwned(Integer.MAX_VALUE, dir)).isEmpty();
    }

    @Test
    void otherBadNamesAreRefused() throws Exception {
        for (String bad : new String[] {"..", ".", "a/b", "a\0b"}) {
            Path tree = Files.createDirectories(dir.resolve("t" + bad.length() + bad.hashCode() + "/root"));
            Files.writeString(tree.resolve("X".repeat(bad.length())), "x");
            Path image = TestExt4.build(tree.getParent(), dir.resolve("bad.ext4"), "8M", TestExt4.PATCHABLE);
            TestExt4.rename(image, "X".repeat(bad.length()), bad);
            Path out = Files.createDirectory(dir.resolve("out" + bad.hashCode()));
            assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, out)).as(bad)
                    .isInstanceOf(Ext4FormatException.class).hasMessageContaining("holds an entry named '" + bad.replace("\0", "\\0") + "'");
            Files.delete(image);
        }
    }

    @Test
    void aSymlinkedRootIsNotFollowed() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createSymbolicLink(tree.resolve("root"), Path.of("/etc"));
        Path image = TestExt4.build(tree, dir.resolve("linked.ext4"), "8M");
        Path out = Files.createDirectory(dir.resolve("out"));

        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, out))
                .isInstanceOf(Ext4ExtractException.class)
                .hasMessage("the image's /root is a symbolic link (to '/etc'); it is not followed, so there is no /root to "
                        + "seed the work disk from");
        assertThat(out.toFile().list()).isEmpty();
    }

    @Test
    void aLinkOutOfRootStaysALinkAndANameReusedAfterItIsRefused() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.createSymbolicLink(tree.resolve("etc"), Path.of("/etc"));
        Files.createSymbolicLink(tree.resolve("esc"), outside);
        Path image = TestExt4.build(tree.getParent(), dir.resolve("links.ext4"), "8M");
        Path out = Files.createDirectory(dir.resolve("out"));

        EXTRACTOR.extractRoot(image, out);

        assertThat(Files.readSymbolicLink(out.resolve("root/etc"))).isEqualTo(Path.of("/etc"));
        assertThat(Files.readSymbolicLink(out.resolve("root/esc"))).isEqualTo(outside);
        try (Stream<Path> all = Files.walk(out)) {
            assertThat(all.count()).as("nothing below the links").isEqualTo(4);
        }

        // a crafted image naming a directory like the link before it: never written through the link
        Path tree2 = Files.createDirectories(dir.resolve("tree2/root"));
        Files.createSymbolicLink(tree2.resolve("lnk"), outside);
        Files.createDirectories(tree2.resolve("LNX"));
        Files.writeString(tree2.resolve("LNX/PWNED"), "through the link");
        Path twice = TestExt4.build(tree2.getParent(), dir.resolve("twice.ext4"), "8M", TestExt4.PATCHABLE);
        TestExt4.rename(twice, "LNX", "lnk");
        Path out2 = Files.createDirectory(dir.resolve("out2"));
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(twice, out2))
                .isInstanceOf(Ext4FormatException.class).hasMessageContaining("/root/lnk appears twice in its directory");
        assertThat(outside.toFile().list()).isEmpty();
    }

    @Test
    void aHugeSparseFileIsRefusedNamingTheCap() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        try (FileChannel f = FileChannel.open(tree.resolve("huge"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(new byte[] {1}), 17L << 30); // 17 GiB, one block of it written
        }
        Path image = TestExt4.build(tree.getParent(), dir.resolve("huge.ext4"), "8M");
        Path out = Files.createDirectory(dir.resolve("out"));

        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, out))
                .isInstanceOf(Ext4ExtractException.class)
                .hasMessageContaining("more than 17179869184 bytes (16 GiB) of files")
                .hasMessageContaining("reached at /root/huge");
        assertThat(out.resolve("root/huge")).as("refused before it is created").doesNotExist();
    }

    @Test
    void entryAndDepthCapsAreNamed() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root/a/b/c/d"));
        for (int i = 0; i < 20; i++) {
            Files.writeString(tree.getParent().getParent().getParent().getParent().resolve("f" + i), "x");
        }
        Path image = TestExt4.build(dir.resolve("tree"), dir.resolve("caps.ext4"), "8M");
        assertThatThrownBy(() -> new Ext4Extractor(new Ext4Extractor.Limits(1L << 30, 10, 64), true)
                .extractRoot(image, Files.createDirectory(dir.resolve("o1"))))
                .isInstanceOf(Ext4ExtractException.class).hasMessageContaining("holds more than 10 entries (the cap on entries");
        assertThatThrownBy(() -> new Ext4Extractor(new Ext4Extractor.Limits(1L << 30, 1000, 3), true)
                .extractRoot(image, Files.createDirectory(dir.resolve("o2"))))
                .isInstanceOf(Ext4ExtractException.class)
                .hasMessageContaining("nested deeper than 3 directories (the cap on depth; reached at /root/a/b/c)");
    }

    @Test
    void aDirectoryLoopIsRefused() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root/a/LOOPDIR"));
        Files.writeString(tree.resolve("f"), "x");
        Path image = TestExt4.build(dir.resolve("tree"), dir.resolve("loop.ext4"), "8M", TestExt4.PATCHABLE);
        TestExt4.repoint(image, "LOOPDIR", TestExt4.inodeOf(image, "/root"));

        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, Files.createDirectory(dir.resolve("out"))))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessageContaining("directory /root/a/LOOPDIR (inode " + TestExt4.inodeOf(image, "/root") + ") is reached a second time");
    }

    @Test
    void anInodeNumberOutsideTheFilesystemIsRefused() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.writeString(tree.resolve("WILDFILE"), "x");
        Path image = TestExt4.build(dir.resolve("tree"), dir.resolve("wild.ext4"), "8M", TestExt4.PATCHABLE);
        TestExt4.repoint(image, "WILDFILE", 0x7fff_0000L);

        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, Files.createDirectory(dir.resolve("out"))))
                .isInstanceOf(Ext4FormatException.class).hasMessageMatching("ext4 image wild.ext4: inode 2147418112 is outside 1\\.\\.\\d+");
    }

    @Test
    void extentTreesPointingOutsideTooDeepOrInALoopAreRefused() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        byte[] data = new byte[10_000];
        new Random(9).nextBytes(data);
        Files.write(tree.resolve("data"), data);
        Path base = TestExt4.build(dir.resolve("tree"), dir.resolve("base.ext4"), "8M");
        long ino = TestExt4.inodeOf(base, "/root/data");
        assertThat(debugfs(base, "stats")).contains("Block size:               1024").contains("Block count:              8192");

        Path outside = Files.copy(base, dir.resolve("outside.ext4"));
        TestExt4.setInodeField(outside, "/root/data", "block[5]", "0x7ffffff0"); // the first extent's start block
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(outside, Files.createDirectory(dir.resolve("o1"))))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessage("ext4 image outside.ext4: inode " + ino + "'s extent tree points at blocks 2147483632+10, "
                        + "outside the filesystem's 8192 blocks");

        Path deep = Files.copy(base, dir.resolve("deep.ext4"));
        TestExt4.setInodeField(deep, "/root/data", "block[1]", "0x00070004"); // max 4 entries, depth 7
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(deep, Files.createDirectory(dir.resolve("o2"))))
                .isInstanceOf(Ext4FormatException.class).hasMessageContaining("has a node of depth 7 (at most 5");

        // an index node at block 8000 whose one entry is itself, under a root of depth 2
        Path loop = Files.copy(base, dir.resolve("loop.ext4"));
        ByteBuffer node = ByteBuffer.allocate(1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        node.putShort(0, (short) 0xF30A).putShort(2, (short) 1).putShort(4, (short) 84).putShort(6, (short) 1).putInt(16, 8000);
        try (FileChannel f = FileChannel.open(loop, StandardOpenOption.WRITE)) {
            f.write(node, 8000L * 1024);
        }
        String[][] root = {{"block[0]", "0x0001F30A"}, {"block[1]", "0x00020004"}, {"block[3]", "0"}, {"block[4]", "8000"},
            {"block[5]", "0"}};
        for (String[] field : root) {
            TestExt4.setInodeField(loop, "/root/data", field[0], field[1]);
        }
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(loop, Files.createDirectory(dir.resolve("o3"))))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessage("ext4 image loop.ext4: inode " + ino + "'s extent tree reaches block 8000 twice (a loop or a shared node)");
    }

    @Test
    void inlineDataIsRefusedClearly() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.writeString(tree.resolve("small"), "inline\n");
        Path image = TestExt4.build(dir.resolve("tree"), dir.resolve("inline.ext4"), "8M", "-O", "inline_data");
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, Files.createDirectory(dir.resolve("out"))))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessageMatching("ext4 image inline.ext4: inode \\d+ keeps its data inline in the inode, which this reader does not read");
    }

    @Test
    void truncatedOrNonExt4ImagesAreRefused() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/root"));
        Files.writeString(tree.resolve(".bashrc"), "x");
        Path image = TestExt4.build(dir.resolve("tree"), dir.resolve("cut.ext4"), "8M");
        try (FileChannel f = FileChannel.open(image, StandardOpenOption.WRITE)) {
            f.truncate(4L << 20);
        }
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(image, dir))
                .isInstanceOf(Ext4FormatException.class)
                .hasMessage("ext4 image cut.ext4: it is truncated: the superblock counts 8192 blocks of 1024 bytes, the file holds "
                        + "4194304 bytes");
        Path tiny = Files.write(dir.resolve("tiny.ext4"), new byte[100]);
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(tiny, dir))
                .isInstanceOf(Ext4FormatException.class).hasMessageContaining("goes past the end of the file (100 bytes)");
        Path zeros = Files.write(dir.resolve("zeros.ext4"), new byte[8192]);
        assertThatThrownBy(() -> EXTRACTOR.extractRoot(zeros, dir))
                .isInstanceOf(Ext4FormatException.class).hasMessageContaining("no ext2/3/4 superblock");
    }

    // ---- helpers ----

    /** A /root with every kind of entry the extractor must carry, owners and mtimes set, a fifo it must skip. */
    private Path sourceTree() throws Exception {
        Path tree = dir.resolve("tree");
        Path root = Files.createDirectories(tree.resolve("root"));
        Files.writeString(root.resolve(".bashrc"), "export PS1='$ '\n");
        Path bin = Files.createDirectories(root.resolve("bin"));
        byte[] tool = new byte[300_000];
        new Random(7).nextBytes(tool);
        Files.write(bin.resolve("tool"), tool);
        chmod(bin.resolve("tool"), "rwxr-x---");
        chown(bin.resolve("tool"), 1000, 1001);
        Files.writeString(root.resolve("suid"), "setuid\n");
        RUNNER.run(Command.of("chmod", "4755", root.resolve("suid").toString()));
        Files.createFile(root.resolve("empty"));
        chmod(root.resolve("empty"), "rw-------");
        byte[] middle = new byte[1 << 20];
        new Random(8).nextBytes(middle);
        try (FileChannel f = FileChannel.open(root.resolve("sparse"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(middle), 8L << 20);
            f.write(ByteBuffer.wrap("tail".getBytes()), (32L << 20) - 4);
            f.truncate(32L << 20);
        }
        Files.createSymbolicLink(root.resolve("fast"), Path.of("bin/tool"));
        Files.createSymbolicLink(root.resolve("slow"), Path.of("/" + "long-directory-name/".repeat(10) + "end"));
        chown(root.resolve("slow"), 1000, 1000);
        Path big = Files.createDirectories(root.resolve("big"));
        for (int i = 0; i < 2500; i++) {
            Files.writeString(big.resolve("file-with-a-longish-name-" + i), Integer.toString(i));
        }
        Files.writeString(root.resolve("hard"), "one inode, two names\n");
        Files.createLink(big.resolve("hard2"), root.resolve("hard"));
        Files.createDirectories(root.resolve("deep/a/b/c"));
        Files.writeString(root.resolve("deep/a/b/c/leaf"), "leaf");
        chown(root.resolve("deep"), 1000, 1000);
        chmod(root.resolve("deep/a"), "rwx--x--x");
        RUNNER.run(Command.of("mkfifo", root.resolve("fifo").toString()));
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            // children before their directory; the fifo left alone (opening it to set times would block)
            all = new ArrayList<>(walk.filter(p -> !p.endsWith("fifo")).sorted(Comparator.reverseOrder()).toList());
        }
        for (Path p : all) {
            Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(MTIME.plusSeconds(p.toString().length())), null, null);
        }
        return tree;
    }

    private static void assertSameTree(Path source, Path copy) throws IOException {
        List<Path> expected;
        try (Stream<Path> walk = Files.walk(source)) {
            expected = walk.filter(p -> !p.getFileName().toString().equals("fifo")).map(source::relativize).sorted().toList();
        }
        try (Stream<Path> walk = Files.walk(copy)) {
            assertThat(walk.map(copy::relativize).sorted().toList()).isEqualTo(expected);
        }
        for (Path rel : expected) {
            Path a = source.resolve(rel);
            Path b = copy.resolve(rel);
            String what = rel.toString();
            assertThat(Files.isSymbolicLink(b)).as(what).isEqualTo(Files.isSymbolicLink(a));
            assertThat(Files.isDirectory(b, LinkOption.NOFOLLOW_LINKS)).as(what).isEqualTo(Files.isDirectory(a, LinkOption.NOFOLLOW_LINKS));
            for (String attr : new String[] {"unix:uid", "unix:gid"}) {
                assertThat(Files.getAttribute(b, attr, LinkOption.NOFOLLOW_LINKS)).as(what + " " + attr)
                        .isEqualTo(Files.getAttribute(a, attr, LinkOption.NOFOLLOW_LINKS));
            }
            assertThat(Files.getLastModifiedTime(b, LinkOption.NOFOLLOW_LINKS).toInstant().getEpochSecond()).as(what + " mtime")
                    .isEqualTo(Files.getLastModifiedTime(a, LinkOption.NOFOLLOW_LINKS).toInstant().getEpochSecond());
            if (Files.isSymbolicLink(a)) {
                assertThat(Files.readSymbolicLink(b)).as(what).isEqualTo(Files.readSymbolicLink(a));
                continue;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(a, LinkOption.NOFOLLOW_LINKS);
            assertThat(Files.getPosixFilePermissions(b, LinkOption.NOFOLLOW_LINKS)).as(what + " mode").isEqualTo(perms);
            if (Files.isRegularFile(a, LinkOption.NOFOLLOW_LINKS)) {
                assertThat(Files.mismatch(a, b)).as(what + " content").isEqualTo(-1);
            }
        }
    }

    private static String debugfs(Path image, String request) {
        var r = RUNNER.run(Command.of("debugfs", "-R", request, image.toString()));
        return r.stdout() + r.stderr();
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    private static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    private static long allocatedBytes(Path file) {
        String[] blocks = RUNNER.run(Command.of("stat", "-c", "%b %B", file.toString())).stdout().trim().split(" ");
        return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
    }
}
