package dev.banger.daemon.vm.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Against a real SSH server (dropbear) on loopback in the test JVM's private network namespace. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GuestSshTest {

    private static final String LOCALHOST = "127.0.0.1";

    private final CommandRunner runner = new CommandRunner();

    @TempDir
    Path dir;

    private SshKeys keys;
    private GuestSsh ssh;
    private Dropbear server;

    @BeforeEach
    void setUp() throws Exception {
        keys = SshKeys.ensure(dir.resolve("ssh"), runner);
        ssh = new GuestSsh(keys);
        server = Dropbear.forKey(runner, dir.resolve("dropbear"), keys.publicKey());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void awaitReadySucceedsAndPinsTheHostKeyUnderTheHostAndEveryAlias() throws Exception {
        server.start();

        ssh.awaitReady(LOCALHOST, server.port(), List.of("dev.vm"), Duration.ofSeconds(20), Optional::empty);

        String p = ":" + server.port();
        assertThat(Files.readAllLines(keys.knownHosts()))
                .containsExactly("[127.0.0.1]" + p + ",[dev.vm]" + p + " " + server.hostPublicKey());
        // The system ssh (what `banger vm ssh` runs) trusts the pinned key and logs in with banger's.
        List<String> argv = new ArrayList<>(asWhoMayUseTheKey());
        argv.addAll(List.of("ssh", "-F", "none", "-i", keys.groupKey().orElse(keys.privateKey()).toString(), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + keys.knownHosts(), "-o", "HostKeyAlias=[dev.vm]" + p,
                "-p", Integer.toString(server.port()), "root@" + LOCALHOST, "echo in-guest"));
        assertThat(runner.run(argv.toArray(String[]::new)).stdout()).isEqualTo("in-guest\n");
    }

    @Test
    void severalGuestsBootingAtOnceAllGetPinned() throws Exception {
        server.start();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (String alias : List.of("a.vm", "b.vm", "c.vm", "d.vm")) {
            waits.add(CompletableFuture.runAsync(
                    () -> ssh.awaitReady(LOCALHOST, server.port(), List.of(alias), Duration.ofSeconds(20), Optional::empty)));
        }
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).join();

        String p = ":" + server.port();
        String knownHosts = Files.readString(keys.knownHosts());
        for (String name : List.of("[127.0.0.1]", "[a.vm]", "[b.vm]", "[c.vm]", "[d.vm]")) {
            assertThat(knownHosts).containsPattern("(^|[\\n,])" + Pattern.quote(name + p) + "[, ]");
        }
        assertThat(knownHosts.lines()).allSatisfy(l -> assertThat(l).endsWith(" " + server.hostPublicKey()));
    }

    /**
     * How to run a command as someone the private key is meant for. A member of the banger group
     * when the key is shared with it: OpenSSH refuses a group-readable key owned by its own user,
     * so root (the owner) could not use it, but members can. Root when the key is 0600.
     */
    private List<String> asWhoMayUseTheKey() throws Exception {
        var group = runner.runAllowingFailure(Command.of("getent", "group", SshKeys.GROUP));
        if (!group.ok()) {
            return List.of();
        }
        String[] members = group.stdout().strip().split(":", -1)[3].split(",");
        Assumptions.assumeTrue(!members[0].isEmpty(), "the banger group has no member to run ssh as");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // @TempDir is 0700
        return List.of("runuser", "-u", members[0], "--");
    }

    @Test
    void awaitReadyWaitsForAServerThatStartsLater() throws Exception {
        CompletableFuture<Void> late = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(1500);
                server.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        long started = System.nanoTime();
        ssh.awaitReady(LOCALHOST, server.port(), List.of(), Duration.ofSeconds(20), Optional::empty);

        late.join();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(6));
    }

    @Test
    void aChangedHostKeyFailsAtOnceAndSaysSo() throws Exception {
        server.start();
        ssh.awaitReady(LOCALHOST, server.port(), List.of("dev.vm"), Duration.ofSeconds(20), Optional::empty);
        List<String> pinned = Files.readAllLines(keys.knownHosts());
        server.stop();
        server.newHostKey();
        server.start();

        long started = System.nanoTime();
        assertThatThrownBy(() -> ssh.awaitReady(LOCALHOST, server.port(), List.of("dev.vm"), Duration.ofSeconds(20), Optional::empty))
                .isInstanceOf(GuestSshException.class).isNotInstanceOf(SshNotReadyException.class)
                .hasMessageStartingWith("host key for [127.0.0.1]:" + server.port() + " changed: it now offers the ssh-ed25519 key SHA256:")
                .hasMessageContaining(keys.knownHosts().toString());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no retrying until the timeout").isLessThan(Duration.ofSeconds(5));
        assertThat(Files.readAllLines(keys.knownHosts())).as("the pinned key stays").isEqualTo(pinned);
    }

    @Test
    void aClosedPortTimesOutWithConnectionRefused() {
        int closed = Dropbear.freePort();

        long started = System.nanoTime();
        assertThatThrownBy(() -> ssh.awaitReady(LOCALHOST, closed, List.of(), Duration.ofMillis(1500), Optional::empty))
                .isInstanceOf(SshNotReadyException.class)
                .hasMessageContaining("SSH on root@127.0.0.1:" + closed + " was not ready within 1500 ms")
                .hasMessageContaining("connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1500), Duration.ofMillis(2500));
    }

    @Test
    void awaitBannerReturnsOnceTheServerGreets() throws Exception {
        server.start();

        ssh.awaitBanner(LOCALHOST, server.port(), Duration.ofSeconds(20), Optional::empty);

        assertThat(Files.exists(keys.knownHosts()) ? Files.readAllLines(keys.knownHosts()) : List.of())
                .as("no handshake, so nothing learnt").isEmpty();
    }

    @Test
    void awaitBannerTimesOutOnAClosedPortAndOnAServerThatIsNotSsh() throws Exception {
        int closed = Dropbear.freePort();
        assertThatThrownBy(() -> ssh.awaitBanner(LOCALHOST, closed, Duration.ofMillis(1000), Optional::empty))
                .isInstanceOf(SshNotReadyException.class)
                .hasMessageContaining("SSH on 127.0.0.1:" + closed + " sent no SSH-2.0 banner within 1000 ms")
                .hasMessageContaining("connection refused");

        try (ServerSocket notSsh = new ServerSocket(0, 5, InetAddress.getByName(LOCALHOST))) {
            CompletableFuture<Void> greeter = CompletableFuture.runAsync(() -> {
                while (!notSsh.isClosed()) {
                    try (Socket s = notSsh.accept()) {
                        s.getOutputStream().write("HTTP/1.0 400 Bad Request\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            assertThatThrownBy(() -> ssh.awaitBanner(LOCALHOST, notSsh.getLocalPort(), Duration.ofMillis(1000), Optional::empty))
                    .isInstanceOf(SshNotReadyException.class)
                    .hasMessageContaining("no SSH-2.0 banner: the server sent \"HTTP/1.0 400 Bad Request\"");
            notSsh.close();
            greeter.join();
        }
    }

    @Test
    void aServerThatRefusesTheKeyTimesOutWithAuthFailed() throws Exception {
        server.close();
        server = Dropbear.forKey(runner, dir.resolve("other-dropbear"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfQLNCl7g6ddM/zUMmNw09jKoYMHrr/VphfG6LAjS3t someone-else").start();

        assertThatThrownBy(() -> ssh.awaitReady(LOCALHOST, server.port(), List.of(), Duration.ofSeconds(2), Optional::empty))
                .isInstanceOf(SshNotReadyException.class)
                .hasMessageContaining("auth failed");
    }

    @Test
    void theAbortSupplierEndsTheWaitWithItsReason() {
        int closed = Dropbear.freePort();
        AtomicInteger asked = new AtomicInteger();

        long started = System.nanoTime();
        assertThatThrownBy(() -> ssh.awaitReady(LOCALHOST, closed, List.of(), Duration.ofSeconds(30),
                () -> asked.incrementAndGet() < 3 ? Optional.empty() : Optional.of("the VM process exited with status 1")))
                .isInstanceOf(SshNotReadyException.class)
                .hasMessage("the VM process exited with status 1");
        assertThat(asked).hasValue(3);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void execReturnsExitStatusAndOutput() throws Exception {
        server.start();

        ExecResult r = ssh.exec(LOCALHOST, server.port(), "sh -c 'echo hi; echo oops >&2; exit 3'", Duration.ofSeconds(5), Duration.ofSeconds(20));

        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("hi\n");
        assertThat(r.stderr()).isEqualTo("oops\n");
        assertThat(ssh.exec(LOCALHOST, server.port(), "id -u", Duration.ofSeconds(5), Duration.ofSeconds(20)).stdout()).isEqualTo("0\n");
    }

    @Test
    void execGivesUpAfterItsTimeout() throws Exception {
        server.start();

        long started = System.nanoTime();
        assertThatThrownBy(() -> ssh.exec(LOCALHOST, server.port(), "sleep 30", Duration.ofSeconds(5), Duration.ofSeconds(2)))
                .isInstanceOf(GuestSshException.class)
                .hasMessage("`sleep 30` on root@127.0.0.1:" + server.port() + " did not finish within 2000 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void execOnAClosedPortSaysConnectionRefused() {
        int closed = Dropbear.freePort();

        assertThatThrownBy(() -> ssh.exec(LOCALHOST, closed, "true", Duration.ofSeconds(1), Duration.ofSeconds(5)))
                .isInstanceOf(GuestSshException.class)
                .hasMessageStartingWith("cannot run `true` on root@127.0.0.1:" + closed + ": connection refused");
    }

    @Test
    void forgetRemovesTheGivenNamesOnly() throws Exception {
        String key = " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfQLNCl7g6ddM/zUMmNw09jKoYMHrr/VphfG6LAjS3t";
        Files.write(keys.knownHosts(), List.of(
                "# kept as written",
                "172.16.0.2,dev.vm" + key,
                "[172.16.0.2]:2222" + key,
                "172.16.0.3,other.vm" + key,
                "172.16.0.20" + key,
                "dev.vm.example,172.16.0.3" + key,
                "|1|Uhom2K46loLj2uVnSW3wPyadPUo=|WId5xqZq7igX6nlSI55dI1MABnM=" + key));

        ssh.forget(List.of("172.16.0.2", "dev.vm", "172.16.0.3"));

        assertThat(Files.readAllLines(keys.knownHosts())).containsExactly(
                "# kept as written",
                "other.vm" + key,
                "172.16.0.20" + key,
                "dev.vm.example" + key,
                "|1|Uhom2K46loLj2uVnSW3wPyadPUo=|WId5xqZq7igX6nlSI55dI1MABnM=" + key);
    }
}
