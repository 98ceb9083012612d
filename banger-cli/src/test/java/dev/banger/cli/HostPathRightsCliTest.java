package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.cli.client.ByteStream;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestLayer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A member of group banger is not root through bangerd (issue 11, finding 3): every host path a
 * request names is opened with the member's own rights. Run with the real launcher as the
 * non-root member banger-test against a real daemon (root, in this JVM): files only root may read
 * or write are refused by the CLI, the same requests sent raw with paths are refused by the daemon,
 * nothing is created either way; what the member owns works, through streams.
 */
class HostPathRightsCliTest {

    static final String MEMBER = "banger-test";
    static final CommandRunner RUNNER = new CommandRunner();

    static Path dir;
    static Path home;
    static RunningDaemon d;
    static Layout layout;
    static Path secret;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Launchers.runningAsRoot() && Launchers.userExists(MEMBER), "needs root and the banger-test user");
        Launchers.assumeBuilt();
        dir = Launchers.openDirectory("banger-paths");
        Config config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        d = RunningDaemon.start(config);
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bz");
        CliRun imp = d.cli("kernel", "import", "k1", "--from", k.toString());
        assertThat(imp.exit()).as(imp.err()).isZero();
        // A real ext4 only root may read: the member must not get it into an image.
        secret = dir.resolve("secret.ext4");
        ext4(secret);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        home = Files.createDirectory(dir.resolve("home"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        own(home);
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
            Launchers.deleteTree(dir);
        }
    }

    static void ext4(Path file) {
        RUNNER.run(Command.of("truncate", "-s", "8M", file.toString()));
        RUNNER.run(Command.of("mkfs.ext4", "-q", "-F", file.toString()));
    }

    /** Gives {@code p} to the member, as if the member had made it. */
    static Path own(Path p) throws IOException {
        UserPrincipalLookupService users = p.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(p, users.lookupPrincipalByName(MEMBER));
        Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setGroup(users.lookupPrincipalByGroupName(MEMBER));
        return p;
    }

    static CommandResult member(String... args) {
        String[] all = Stream.concat(Stream.of("--socket", d.socket.toString()), Stream.of(args)).toArray(String[]::new);
        return Launchers.banger(MEMBER, all);
    }

    /** Nothing made: no row of that name, and the images, kernels and staging dirs hold nothing new. */
    static void assertNothingCreated(String image, List<String> kernelsBefore) throws Exception {
        Map<?, ?> images = (Map<?, ?>) Json.parse(d.cli("--json", "image", "list").out());
        assertThat(images.toString()).doesNotContain("name=" + image);
        assertThat(entries(layout.imagesDir())).allMatch(n -> images.toString().contains(n));
        assertThat(entries(layout.kernelsDir())).containsExactlyInAnyOrderElementsOf(kernelsBefore);
        assertThat(entries(layout.stagingDir())).isEmpty();
    }

    static List<String> entries(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void aMemberCannotRegisterFilesOnlyRootMayRead() throws Exception {
        List<String> kernels = entries(layout.kernelsDir());
        CommandResult shadow = member("image", "register", "--name", "stolen", "--rootfs", "/etc/shadow", "--kernel-ref", "k1");
        assertThat(shadow.exitCode()).as(shadow.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(shadow.stderr()).contains("--rootfs /etc/shadow: permission denied");

        CommandResult ext4 = member("image", "register", "--name", "stolen", "--rootfs", secret.toString(), "--kernel-ref", "k1");
        assertThat(ext4.exitCode()).as(ext4.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(ext4.stderr()).contains("--rootfs " + secret + ": permission denied");

        Path mine = home.resolve("mine.ext4");
        ext4(mine);
        own(mine);
        CommandResult kernel = member("image", "register", "--name", "stolen", "--rootfs", mine.toString(), "--kernel", "/etc/shadow");
        assertThat(kernel.exitCode()).as(kernel.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(kernel.stderr()).contains("--kernel /etc/shadow: permission denied");
        assertNothingCreated("stolen", kernels);
        assertThat(d.cli("kernel", "list").out()).doesNotContain("stolen-kernel");
    }

    @Test
    void theSameRequestsSentRawWithPathsAreRefusedByTheDaemon() throws Exception {
        List<String> kernels = entries(layout.kernelsDir());
        Path tar = own(Files.write(home.resolve("raw.tar"), new TestLayer().dir("etc", 0755).file("etc/hostname", "x").tar()));
        Path etcOut = Path.of("/etc/banger-paths-test.tar.zst");
        Map<String, String> requests = Map.of(
                "rootfs", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"image.register\",\"params\":{\"name\":\"stolen\","
                        + "\"rootfs\":\"" + secret + "\",\"kernel_ref\":\"k1\"}}",
                "from", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"kernel.import\",\"params\":{\"name\":\"stolen\",\"from\":\"/root\"}}",
                "deb", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"kernel.import\",\"params\":{\"name\":\"stolen\",\"deb\":\"/etc/shadow\"}}",
                "bundle", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"image.bundle.pull\",\"params\":{\"bundle\":\"/etc/shadow\","
                        + "\"sha256\":\"" + "0".repeat(64) + "\",\"name\":\"stolen\"}}",
                "rootfs_tar", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"image.bundle.make\",\"params\":{\"rootfs_tar\":\"" + tar
                        + "\",\"name\":\"stolen\",\"kernel_ref\":\"k1\",\"size\":\"64M\",\"out\":\"" + etcOut + "\"}}");
        for (Map.Entry<String, String> r : requests.entrySet()) {
            Map<?, ?> answer = Launchers.rawRequest(MEMBER, d.socket, r.getValue());
            Map<?, ?> error = (Map<?, ?>) answer.get("error");
            assertThat(error).as(r.getKey() + ": " + answer).isNotNull();
            assertThat(((Map<?, ?>) error.get("data")).get("code")).as(r.getKey()).isEqualTo("unauthorized");
            assertThat((String) error.get("message")).as(r.getKey())
                    .contains("'" + r.getKey() + "' names a host path", "opens host paths only for root", r.getKey() + "_stream");
        }
        assertThat(etcOut).doesNotExist();
        assertNothingCreated("stolen", kernels);
        assertThat(d.cli("kernel", "list").out()).doesNotContain("stolen");
    }

    @Test
    void aMemberCannotImportFromRootsHomeNorWriteABundleIntoEtc() throws Exception {
        List<String> kernels = entries(layout.kernelsDir());
        CommandResult root = member("kernel", "import", "stolen", "--from", "/root");
        assertThat(root.exitCode()).as(root.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(root.stderr()).contains("--from /root: permission denied");

        // The member's directory holding a file only root may read: tar fails on it, and the import with it.
        Path mixed = own(Files.createDirectory(home.resolve("mixed")));
        own(Files.writeString(mixed.resolve("vmlinuz"), "bz"));
        Files.setPosixFilePermissions(Files.writeString(mixed.resolve("initrd.img"), "root's"),
                PosixFilePermissions.fromString("rw-------"));
        CommandResult partial = member("kernel", "import", "stolen", "--from", mixed.toString());
        assertThat(partial.exitCode()).as(partial.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(partial.stderr()).contains("initrd.img", "Permission denied");

        CommandResult deb = member("kernel", "import", "stolen", "--deb", "/etc/shadow");
        assertThat(deb.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(deb.stderr()).contains("--deb /etc/shadow: permission denied");

        CommandResult bundle = member("image", "pull", "--bundle", "/etc/shadow", "--sha256", "0".repeat(64));
        assertThat(bundle.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(bundle.stderr()).contains("--bundle /etc/shadow: permission denied");

        Path tar = own(Files.write(home.resolve("etc.tar"), new TestLayer().dir("etc", 0755).file("etc/hostname", "x").tar()));
        Path etcOut = Path.of("/etc/banger-paths-test.tar.zst");
        CommandResult make = member("internal", "make-bundle", "--rootfs-tar", tar.toString(), "--name", "x", "--kernel-ref", "k1",
                "--size", "64M", "--out", etcOut.toString());
        assertThat(make.exitCode()).as(make.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(make.stderr()).contains("--out " + etcOut + ": permission denied");
        assertThat(etcOut).doesNotExist();
        assertNothingCreated("stolen", kernels);
    }

    @Test
    void aMembersOwnFilesWorkThroughStreams() throws Exception {
        // register: the member's ext4 and kernel, copied in as a managed image with a managed companion kernel
        Path rootfs = home.resolve("own.ext4");
        ext4(rootfs);
        own(rootfs);
        Path vmlinuz = own(Files.writeString(home.resolve("vmlinuz"), "member's kernel"));
        CommandResult reg = member("--json", "image", "register", "--name", "own", "--rootfs", rootfs.toString(),
                "--kernel", vmlinuz.toString());
        assertThat(reg.exitCode()).as(reg.stderr()).isZero();
        Map<?, ?> image = (Map<?, ?>) Json.parse(reg.stdout());
        assertThat(image.get("managed")).isEqualTo(true);
        assertThat(image.get("source")).isEqualTo("file:" + rootfs);
        assertThat((String) image.get("rootfs_path")).startsWith(layout.imagesDir().toString());
        assertThat(Files.mismatch(Path.of((String) image.get("rootfs_path")), rootfs)).isEqualTo(-1);
        assertThat(member("image", "list").stdout()).contains("own");
        Map<?, ?> companion = (Map<?, ?>) Json.parse(d.cli("--json", "kernel", "show", "own-kernel").out());
        assertThat(companion.get("managed")).isEqualTo(true);
        Path kernelDir = Path.of((String) companion.get("dir"));
        assertThat(kernelDir).startsWith(layout.kernelsDir());
        assertThat(Files.readString(Path.of((String) companion.get("vmlinuz_path")))).isEqualTo("member's kernel");
        CommandResult delete = member("image", "delete", "own");
        assertThat(delete.exitCode()).as(delete.stderr()).isZero();
        assertThat(d.cli("kernel", "list").out()).doesNotContain("own-kernel");
        assertThat(kernelDir).doesNotExist();
        assertThat(rootfs).exists();

        // kernel import --from: the member's directory, sent as a tar
        Path kdir = own(Files.createDirectory(home.resolve("kernel")));
        own(Files.writeString(kdir.resolve("vmlinuz"), "vmlinuz bytes"));
        own(Files.createDirectory(kdir.resolve("modules")));
        own(Files.writeString(kdir.resolve("modules/virtio.ko"), "module"));
        own(Files.createSymbolicLink(kdir.resolve("modules/alias.ko"), Path.of("virtio.ko")));
        CommandResult imp = member("--json", "kernel", "import", "mine", "--from", kdir.toString());
        assertThat(imp.exitCode()).as(imp.stderr()).isZero();
        Map<?, ?> k = (Map<?, ?>) Json.parse(imp.stdout());
        assertThat(k.get("source")).isEqualTo("dir:" + kdir);
        assertThat(Files.readString(Path.of((String) k.get("vmlinuz_path")))).isEqualTo("vmlinuz bytes");
        assertThat(Files.readString(Path.of((String) k.get("modules_path")).resolve("alias.ko"))).isEqualTo("module");

        // make-bundle into the member's own directory: the file is the member's; then pulled back from it
        Path tar = own(Files.write(home.resolve("rootfs.tar"), new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).dir("root", 0700).file("root/.profile", "x").tar()));
        Path out = home.resolve("app.tar.zst");
        CommandResult make = member("internal", "make-bundle", "--rootfs-tar", tar.toString(), "--name", "app",
                "--kernel-ref", "k1", "--size", "64M", "--out", out.toString());
        assertThat(make.exitCode()).as(make.stderr()).isZero();
        assertThat(Files.getOwner(out, LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo(MEMBER);
        Matcher m = Pattern.compile("sha256  ([0-9a-f]{64})").matcher(make.stdout());
        assertThat(m.find()).as(make.stdout()).isTrue();
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out))))
                .isEqualTo(m.group(1));
        assertThat(make.stdout()).contains("bundle  " + out);
        CommandResult again = member("internal", "make-bundle", "--rootfs-tar", tar.toString(), "--name", "app",
                "--kernel-ref", "k1", "--size", "64M", "--out", out.toString());
        assertThat(again.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(again.stderr()).contains("already exists; bundles are never overwritten");

        CommandResult pull = member("image", "pull", "--bundle", out.toString(), "--sha256", m.group(1), "--name", "app");
        assertThat(pull.exitCode()).as(pull.stderr()).isZero();
        assertThat(pull.stdout()).contains("source     bundle:" + out);
    }

    @Test
    void aFailedMakeBundleLeavesNoPartialFile() throws Exception {
        Path tar = own(Files.write(home.resolve("broken.tar"), new TestLayer().file("../escape", "x").tar()));
        Path out = home.resolve("broken.tar.zst");
        CommandResult make = member("internal", "make-bundle", "--rootfs-tar", tar.toString(), "--name", "broken",
                "--kernel-ref", "k1", "--size", "64M", "--out", out.toString());
        assertThat(make.exitCode()).as(make.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(make.stderr()).contains("escapes the image root");
        assertThat(out).doesNotExist();
    }

    @Test
    void hostileKernelTarsOnARawStreamAreRefusedWithNothingWrittenOutside() throws Exception {
        List<String> kernels = entries(layout.kernelsDir());
        Map<String, TestLayer> hostile = Map.of(
                "escapes the image root", new TestLayer().file("vmlinuz", "bz").file("../../../../../PWNED", "x"),
                "escapes the image root (an absolute path)", new TestLayer().file("vmlinuz", "bz").file(dir + "/PWNED", "x"),
                "is a symbolic link out of the directory", new TestLayer().symlink("vmlinuz", "/etc/shadow"),
                "a symbolic link out of the directory (../../../PWNED)", new TestLayer().file("vmlinuz", "bz")
                        .dir("modules", 0755).symlink("modules/x", "../../../PWNED"),
                // each link lexically inside, together out: modules/up is the tree, up2 the dir above it
                "links in a kernel directory must point down, without '..'", new TestLayer().file("vmlinuz", "bz")
                        .dir("modules/m2", 0755).symlink("modules/up", "..").symlink("modules/m2/up2", "../up/..")
                        .symlink("initrd.img", "modules/m2/up2/PWNED"),
                "initrd.img in the directory must be a regular file", new TestLayer().file("vmlinuz", "bz")
                        .file("modules/initrd", "cpio").symlink("initrd.img", "modules/initrd"),
                "holds device nodes or fifos", new TestLayer().file("vmlinuz", "bz").charDevice("modules/null"),
                "is setuid or setgid", new TestLayer().file("vmlinuz", "bz").file("modules/su", "x", 04755, 0, 0));
        for (Map.Entry<String, TestLayer> h : hostile.entrySet()) {
            try (RpcClient c = RpcClient.connect(d.socket)) {
                ByteStream up = c.upload(new ByteArrayInputStream(h.getValue().tar()));
                assertThatThrownBy(() -> c.call("kernel.import", Map.of("name", "evil", "from_stream", up.token())))
                        .as(h.getKey()).isInstanceOf(BangerException.class)
                        .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST))
                        .hasMessageContaining(h.getKey());
            }
        }
        try (Stream<Path> all = Files.walk(dir)) { // the state dir, its staging dir, and where a climb out of them lands
            assertThat(all.filter(p -> p.getFileName().toString().equals("PWNED"))).isEmpty();
        }
        assertNothingCreated("evil", kernels);
        assertThat(d.cli("kernel", "list").out()).doesNotContain("evil");
    }
}
