package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestLayer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `internal make-bundle`, `image pull --bundle`, `image register|promote`, `image cache prune` through a real daemon. */
class ImageBundleCliTest {

    @TempDir
    static Path dir;
    static RunningDaemon d;

    @BeforeAll
    static void start() throws Exception {
        d = RunningDaemon.start(dir.resolve("banger"));
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bz");
        assertThat(d.cli("kernel", "import", "k1", "--from", k.toString()).exit()).isZero();
    }

    @AfterAll
    static void stop() {
        d.close();
    }

    @Test
    void makeBundleThenPullItFromAFileAndOverHttp() throws Exception {
        Path tar = Files.write(dir.resolve("rootfs.tar"), new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).dir("root", 0700).file("root/.profile", "x").tar());
        Path out = dir.resolve("app.tar.zst");
        CliRun make = d.cli("internal", "make-bundle", "--rootfs-tar", tar.toString(), "--name", "app", "--kernel-ref", "k1",
                "--distro", "debian", "--size", "64M", "--out", out.toString());
        assertThat(make.exit()).as(make.err()).isZero();
        assertThat(make.err()).contains("build rootfs.ext4").contains("write bundle");
        Matcher m = Pattern.compile("sha256  ([0-9a-f]{64})").matcher(make.out());
        assertThat(m.find()).as(make.out()).isTrue();
        String sha = m.group(1);
        assertThat(make.out()).contains("bundle  " + out).contains("with work-seed")
                .contains("banger image pull --bundle " + out + " --sha256 " + sha);

        CliRun pull = d.cli("image", "pull", "--bundle", out.toString(), "--sha256", sha);
        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(pull.err()).contains("unpack bundle").contains("publish");
        assertThat(pull.out()).contains("name       app").contains("kernel     k1").contains("source     bundle:" + out);

        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = Files.readAllBytes(out);
        server.createContext("/x.tar.zst", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/x.tar.zst";
            CliRun web = d.cli("--json", "image", "pull", "--bundle", url, "--sha256", sha, "--name", "web");
            assertThat(web.exit()).as(web.err()).isZero();
            Map<?, ?> image = (Map<?, ?>) Json.parse(web.out());
            assertThat(image.get("source")).isEqualTo("bundle:" + url);
            assertThat(image.get("digest")).isEqualTo("sha256:" + sha);

            CliRun wrong = d.cli("image", "pull", "--bundle", url, "--sha256", "f".repeat(64), "--name", "wrong");
            assertThat(wrong.exit()).isEqualTo(RootCommand.EXIT_FAILED);
            assertThat(wrong.err()).contains("banger: bundle sha256 mismatch").contains("(op ");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void bundleUsageErrors() {
        assertThat(d.cli("image", "pull", "--bundle", "/x.tar.zst").exit()).isEqualTo(RootCommand.EXIT_USAGE);
        CliRun both = d.cli("image", "pull", "debian:bookworm", "--bundle", "/x.tar.zst", "--sha256", "0".repeat(64));
        assertThat(both.exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(both.err()).contains("--bundle takes no REF");
        assertThat(d.cli("image", "pull").err()).contains("Missing required parameter: 'REF'");
        assertThat(d.cli("--help").out()).doesNotContain("internal");
        CliRun make = d.cli("internal", "make-bundle", "--name", "x");
        assertThat(make.exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(make.err()).contains("--rootfs-tar").contains("--out");
    }

    @Test
    void registerPromoteDeleteAndKernelFlagsRefusedTogether() throws Exception {
        Path user = Files.createDirectories(dir.resolve("user"));
        Path rootfs = user.resolve("rootfs.ext4");
        CommandRunner runner = new CommandRunner();
        runner.run(Command.of("truncate", "-s", "8M", rootfs.toString()));
        runner.run(Command.of("mkfs.ext4", "-q", "-F", rootfs.toString()));
        Path vmlinuz = Files.writeString(user.resolve("vmlinuz"), "bz");

        CliRun both = d.cli("image", "register", "--name", "mine", "--rootfs", rootfs.toString(), "--kernel", vmlinuz.toString(),
                "--kernel-ref", "k1");
        assertThat(both.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(both.err()).contains("--kernel-ref cannot be combined with --kernel or --initrd");

        CliRun reg = d.cli("image", "register", "--name", "mine", "--rootfs", rootfs.toString(), "--kernel", vmlinuz.toString());
        assertThat(reg.exit()).as(reg.err()).isZero();
        assertThat(reg.out()).contains("managed    no").contains("kernel     mine-kernel").contains("rootfs     " + rootfs);

        CliRun promote = d.cli("image", "promote", "mine");
        assertThat(promote.exit()).as(promote.err()).isZero();
        assertThat(promote.out()).doesNotContain("managed    no").doesNotContain("rootfs     " + rootfs);
        assertThat(d.cli("image", "promote", "mine").err()).contains("already managed");

        assertThat(d.cli("image", "delete", "mine").exit()).isZero();
        assertThat(rootfs).exists();
        assertThat(vmlinuz).exists();
    }

    @Test
    void cachePruneSaysWhatItFreed() throws Exception {
        Path blobs = Files.createDirectories(Config.under(dir.resolve("banger")).cacheDir().resolve("oci/blobs/sha256"));
        Files.write(blobs.resolve("a".repeat(64)), new byte[1536]);
        Path cache = Config.under(dir.resolve("banger")).cacheDir().resolve("oci");

        CliRun dry = d.cli("image", "cache", "prune", "--dry-run");
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.out().strip()).isEqualTo("would free 1.5K across 1 blob(s) in " + cache);
        assertThat(blobs.resolve("a".repeat(64))).exists();

        CliRun prune = d.cli("image", "cache", "prune");
        assertThat(prune.out().strip()).isEqualTo("freed 1.5K across 1 blob(s) in " + cache);
        assertThat(blobs.resolve("a".repeat(64))).doesNotExist();
    }
}
