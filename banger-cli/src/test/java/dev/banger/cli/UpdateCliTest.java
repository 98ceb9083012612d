package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.update.ReleaseBundle;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * banger update end to end, with the real launchers: build/ installed by `system install --root` into a
 * scratch root, its daemon started the way `banger daemon start` does on a private socket, then
 * updated to signed bundles made from copies of build/ whose jars say another version.
 */
class UpdateCliTest {

    private static final String OLD = dev.banger.core.BuildInfo.current().version();

    Path dir;
    Path root;
    Path config;
    Path socket;
    KeyPair key;

    @BeforeEach
    void installAndStartTheDaemon() throws Exception {
        Launchers.assumeBuilt();
        assumeTrue(Launchers.runningAsRoot(), "update runs as root");
        dir = Launchers.openDirectory("upd");
        root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1600::/home/alice:/bin/sh\n"
                + "banger-vmm:x:990:990::/nonexistent:/usr/sbin/nologin\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nalice:x:1600:\n");
        socket = dir.resolve("run/bangerd.sock");
        config = Files.writeString(dir.resolve("bangerd.toml"), "state_dir = \"" + dir.resolve("state") + "\"\ncache_dir = \""
                + dir.resolve("cache") + "\"\nruntime_dir = \"" + dir.resolve("run") + "\"\nlog_level = \"warn\"\n");
        KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
        key = g.generateKeyPair();
        Path pub = Files.writeString(dir.resolve("release-key.pem"), ReleaseBundle.pem(key.getPublic()));
        ok(Launchers.banger(null, "system", "install", "--root", root.toString(), "--owner", "alice", "--config", config.toString(),
                "--release-key", pub.toString()));
        ok(installed("--socket", socket.toString(), "daemon", "start", "--config", config.toString()));
    }

    @AfterEach
    void stopAndRemove() {
        if (dir != null) {
            Launchers.banger(null, "--socket", socket.toString(), "daemon", "stop"); // the installed launchers may be gone
            Launchers.deleteTree(dir);
        }
    }

    @Test
    void anUpdateServesTheNewVersionPassesDoctorAndRollbackGoesBack() throws Exception {
        Path bundle = bundle("0.2.0", key, tree -> { });
        // over HTTP from a loopback server, as a URL --from is fetched
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        byte[] bytes = Files.readAllBytes(bundle);
        http.createContext("/banger.bundle", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            try (var body = ex.getResponseBody()) {
                body.write(bytes);
            }
        });
        http.start();
        CommandResult r;
        try {
            String base = "http://127.0.0.1:" + http.getAddress().getPort();
            CommandResult missing = installed("update", "--root", root.toString(), "--from", base + "/nothing-here");
            assertThat(missing.exitCode()).isEqualTo(1);
            assertThat(missing.stderr()).contains("answered HTTP 404");
            r = ok(installed("update", "--root", root.toString(), "--from", base + "/banger.bundle"));
        } finally {
            http.stop(0);
        }
        assertThat(r.stdout()).contains("updated banger " + OLD + " -> 0.2.0");
        assertThat(daemonVersion()).isEqualTo("0.2.0");
        assertThat(ok(installed("--socket", socket.toString(), "version")).stdout()).contains("banger    0.2.0").contains("bangerd   0.2.0");
        assertThat(ok(installed("--socket", socket.toString(), "doctor")).stdout()).doesNotContain("FAIL");
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/lib/banger"))).isEqualTo(Path.of("banger-releases/0.2.0"));
        assertThat(Files.readString(root.resolve("etc/banger/install.toml"))).contains("version = '0.2.0'");

        CommandResult back = ok(installed("update", "--root", root.toString(), "--rollback"));
        assertThat(back.stdout()).contains("rolled back banger 0.2.0 -> " + OLD);
        assertThat(daemonVersion()).isEqualTo(OLD);
        assertThat(ok(installed("version")).stdout()).contains("banger    " + OLD);
        assertThat(Files.readString(root.resolve("etc/banger/install.toml"))).contains("version = '" + OLD + "'");

        // uninstall removes the releases too
        ok(installed("--socket", socket.toString(), "daemon", "stop"));
        ok(Launchers.banger(null, "system", "uninstall", "--root", root.toString()));
        assertThat(root.resolve("usr")).doesNotExist();
        assertThat(root.resolve("etc/banger")).as("the release key and install.toml went too").doesNotExist();
    }

    @Test
    void aTamperedBundleOrAnotherKeysOrANonRootCallerChangesNothing() throws Exception {
        Path good = bundle("0.2.0", key, tree -> { });
        long pid = daemonPid();
        List<String> before = listing();

        byte[] bytes = Files.readAllBytes(good);
        bytes[bytes.length / 2] ^= 1;
        Path tampered = Files.write(dir.resolve("tampered.bundle"), bytes);
        CommandResult r = installed("update", "--root", root.toString(), "--from", tampered.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stderr()).contains("the signature does not match the release key").contains("Nothing was changed");

        Path otherKeys = bundle("0.2.0", KeyPairGenerator.getInstance("Ed25519").generateKeyPair(), tree -> { });
        CommandResult wrong = installed("update", "--root", root.toString(), "--from", otherKeys.toString());
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.stderr()).contains("the signature does not match the release key");

        CommandResult older = installed("update", "--root", root.toString(), "--from", bundle("0.0.9", key, tree -> { }).toString());
        assertThat(older.exitCode()).isEqualTo(1);
        assertThat(older.stderr()).contains("is older than the installed " + OLD + "; --force installs it anyway");

        if (Launchers.userExists("banger-test")) {
            CommandResult member = Launchers.run("banger-test", Map.of(), root.resolve("usr/local/bin/banger").toString(),
                    "update", "--root", root.toString(), "--from", good.toString());
            assertThat(member.exitCode()).isEqualTo(1);
            assertThat(member.stderr()).contains("must run as root: sudo banger update");
        }

        // While an operation runs (a pull from a loopback registry that does not answer yet), update waits for none.
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer registry = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        registry.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        registry.createContext("/", ex -> {
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        registry.start();
        try (var pull = Launchers.startBanger(null, dir.resolve("pull.log"), "--socket", socket.toString(), "image", "pull",
                "127.0.0.1:" + registry.getAddress().getPort() + "/hang:latest")) {
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (!runningOperations().contains("image.pull") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            CommandResult busy = installed("update", "--root", root.toString(), "--from", good.toString());
            assertThat(busy.exitCode()).as(busy.stdout() + busy.stderr()).isEqualTo(1);
            assertThat(busy.stderr()).contains("bangerd is running image.pull").contains("Nothing was changed");
            answer.countDown();
            pull.stop();
        } finally {
            answer.countDown();
            registry.stop(0);
        }
        assertThat(listing()).isEqualTo(before);
        assertThat(daemonPid()).as("the old daemon was never stopped").isEqualTo(pid);
    }

    private String runningOperations() throws IOException {
        Map<?, ?> r = Launchers.rawRequest(null, socket, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.operations.list\"}");
        return String.valueOf(r.get("result"));
    }

    @Test
    void aReleaseWhoseDaemonCannotStartIsRolledBackAndTheOldDaemonServes() throws Exception {
        Path broken = bundle("0.3.0", key, tree -> Files.writeString(tree.resolve("bin/bangerd"),
                "#!/bin/sh\necho 'bangerd: broken on purpose' >&2\nexit 1\n"));
        CommandResult r = installed("update", "--root", root.toString(), "--from", broken.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stderr()).contains("banger 0.3.0 failed (its daemon did not answer").contains("rolled back to " + OLD);
        assertThat(daemonVersion()).isEqualTo(OLD);
        assertThat(Files.readSymbolicLink(root.resolve("usr/local/lib/banger"))).isEqualTo(Path.of("banger-releases/" + OLD));
        assertThat(root.resolve("usr/local/lib/banger-releases/0.3.0")).doesNotExist();
        assertThat(Files.readString(root.resolve("etc/banger/install.toml"))).contains("version = '" + OLD + "'");
        CommandResult rollback = installed("update", "--root", root.toString(), "--rollback");
        assertThat(rollback.exitCode()).isEqualTo(1);
        assertThat(rollback.stderr()).contains("no previous release");
    }

    @Test
    void aReleaseWhoseDoctorFailsIsRolledBack() throws Exception {
        Path failing = bundle("0.4.0", key, tree -> Files.writeString(tree.resolve("bin/banger"),
                "#!/bin/sh\necho 'FAIL  planted check'\nexit 1\n"));
        CommandResult r = installed("update", "--root", root.toString(), "--from", failing.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
        assertThat(r.stderr()).contains("banger 0.4.0 failed (doctor: FAIL  planted check); rolled back to " + OLD);
        assertThat(daemonVersion()).isEqualTo(OLD);
        assertThat(ok(installed("--socket", socket.toString(), "version")).stdout()).contains("banger    " + OLD);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private interface TreeEdit {
        void apply(Path tree) throws IOException;
    }

    /** A signed bundle of a copy of build/ whose jars say {@code version}, changed by {@code edit}. */
    private Path bundle(String version, KeyPair signer, TreeEdit edit) throws Exception {
        Path tree = dir.resolve("tree-" + version);
        Launchers.deleteTree(tree);
        Launchers.run(null, Map.of(), "cp", "-a", Launchers.BUILD.toString(), tree.toString()).exitCode();
        for (String app : List.of("cli", "daemon")) {
            try (Stream<Path> jars = Files.list(tree.resolve("lib").resolve(app))) {
                for (Path jar : jars.filter(j -> j.getFileName().toString().startsWith("banger-core-")).toList()) {
                    try (FileSystem zip = FileSystems.newFileSystem(jar)) {
                        Path props = zip.getPath("dev/banger/core/build.properties");
                        Files.writeString(props, Files.readString(props).replaceFirst("version=.*", "version=" + version));
                    }
                }
            }
        }
        edit.apply(tree);
        Path out = dir.resolve(version + "-" + signer.hashCode() + ".bundle");
        Files.write(out, ReleaseBundle.seal(tree, new ReleaseBundle.Release(version, "test", "now"), signer.getPrivate()));
        return out;
    }

    private CommandResult installed(String... args) {
        return Launchers.run(null, Map.of(), root.resolve("usr/local/bin/banger").toString(), args);
    }

    private static CommandResult ok(CommandResult r) {
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        return r;
    }

    private String daemonVersion() throws IOException {
        return String.valueOf(((Map<?, ?>) Launchers.rawRequest(null, socket, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}")
                .get("result")).get("version"));
    }

    private long daemonPid() throws IOException {
        return ((Number) ((Map<?, ?>) Launchers.rawRequest(null, socket, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")
                .get("result")).get("pid")).longValue();
    }

    /** Every path under the scratch root with its link target or size: what "nothing changed" compares. */
    private List<String> listing() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted().toList()) {
                out.add(root.relativize(p) + (Files.isSymbolicLink(p) ? " -> " + Files.readSymbolicLink(p)
                        : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? " " + Files.size(p) : "/"));
            }
        }
        return out;
    }
}
