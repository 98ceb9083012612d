package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.image.testing.TestGuestImages;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.vm.ssh.SshKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real distribution guest: Debian bookworm with systemd and OpenSSH, pulled from a registry.
 * It must reach a settled systemd, keep /root across a stop that powers it off cleanly (well
 * within the stop's 15 s grace), and boot again; a clone of a snapshot of it gets its own hostname,
 * machine-id and SSH host key (bangerd's, served by the running sshd) from systemd's OpenSSH.
 */
class VmDebianTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(150);

    @TempDir
    Path dir;

    @Test
    void debianBootsToASettledSystemdKeepsRootAcrossACleanStopAndStartsAgain() {
        TestKernelDeb.requireTools();
        TestKernelDeb.require();
        TestImage debian = TestGuestImages.debianImage();
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             VmRig rig = new VmRig(dir.resolve("banger"), BOOT_TIMEOUT)) {
            rig.importKernel();
            timed("pull image", () -> rig.pull(registry, "debian", debian));

            VmInfo vm = timed("create (boot to SSH)", () -> rig.vms.create(
                    new VmApi.CreateParams("deb", "debian", null, 1, "512", "256M", false, null, null), rig.ctx("vm.create")));
            assertThat(vm.state()).isEqualTo(VmInfo.RUNNING);
            String system = timed("systemd settled", () -> rig.ssh(vm, "systemctl is-system-running --wait",
                    Duration.ofSeconds(120)).stdout().strip());
            System.out.println("debian systemd state: " + system);
            assertThat(system).as("systemctl is-system-running --wait").isIn("running", "degraded");
            // The image's message of the day is its own: a guard that skipped pam_motd for commands emptied
            // interactive logins' too (sshd opens the PAM session before any terminal is asked for).
            assertThat(terminalLogin(rig, vm)).as("a terminal login's message of the day").contains("Debian GNU/Linux");
            assertThat(rig.ssh(vm, "echo kept > /root/note && sync", Duration.ofSeconds(30)).exitCode()).isZero();

            long t0 = System.nanoTime();
            VmInfo stopped = rig.vms.stop("deb", rig.ctx("vm.stop"));
            Duration stopTook = report("stop (poweroff over SSH)", t0);
            assertThat(stopped.state()).isEqualTo(VmInfo.STOPPED);
            assertThat(stopTook).as("a clean poweroff, not the kill after the 15 s grace").isLessThan(Duration.ofSeconds(14));

            VmInfo started = timed("start (boot to SSH)", () -> rig.vms.start("deb", rig.ctx("vm.start")));
            assertThat(rig.ssh(started, "cat /root/note", Duration.ofSeconds(30)).stdout().strip())
                    .as("a file written before the stop").isEqualTo("kept");
            timed("systemd settled after start", () -> rig.ssh(started, "systemctl is-system-running --wait",
                    Duration.ofSeconds(120)).stdout().strip());

            // A clone of it under systemd and OpenSSH: its own hostname, machine-id and host key (made and
            // pinned by bangerd, served by the template's sshd without a restart: each connection's
            // re-executed sshd reads the key file), the template's files.
            String identity = "hostname; cat /etc/machine-id; cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub;"
                    + " systemctl show -p MainPID --value ssh; stat -c %a /etc/ssh/ssh_host_ed25519_key;"
                    + " ls /etc/ssh | grep -c '^ssh_host_.*_key$'; ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key | cut -d' ' -f2;"
                    + " date +%s";
            List<String> template = List.of(rig.ssh(started, identity, Duration.ofSeconds(30)).stdout().strip().split("\n"));
            timed("snapshot", () -> rig.vms.snapshot(new SnapshotParams("deb", "deb-s"), rig.ctx("vm.snapshot.create")));
            sleep(Duration.ofSeconds(8)); // a clone whose clock were not set would be at least this far behind
            VmInfo clone = timed("clone create (to SSH)", () -> rig.vms.create(new VmApi.CreateParams("debc", null, null, null, null,
                    null, null, null, null, null, "deb-s"), rig.ctx("vm.create")));
            List<String> own = List.of(rig.ssh(clone, identity, Duration.ofSeconds(30)).stdout().strip().split("\n"));
            assertThat(own.get(0)).isEqualTo("debc");
            assertThat(own.get(1)).as("machine-id").matches("[0-9a-f]{32}").isNotEqualTo(template.get(1));
            assertThat(own.get(2)).as("host key").isNotEqualTo(template.get(2));
            assertThat(own.get(6)).as("the private key file holds the public key's pair").isEqualTo(own.get(2));
            assertThat(pinnedKey(rig, clone)).as("the key bangerd pinned, which the SSH session above was checked against")
                    .isEqualTo(own.get(2));
            assertThat(own.get(3)).as("sshd's pid: the template's sshd, not restarted").isEqualTo(template.get(3));
            assertThat(own.get(4)).as("the private key's mode").isEqualTo("600");
            assertThat(own.get(5)).as("host keys in /etc/ssh: the template's RSA and ECDSA keys gone").isEqualTo("1");
            assertThat(Math.abs(Long.parseLong(own.get(7)) - System.currentTimeMillis() / 1000))
                    .as("the clone's clock against the host's (set by banger-init's identity helper)").isLessThan(4);
            assertThat(rig.ssh(clone, "cat /root/note", Duration.ofSeconds(30)).stdout().strip()).isEqualTo("kept");
            assertThat(rig.ssh(started, "hostname", Duration.ofSeconds(30)).stdout().strip()).as("the template runs on").isEqualTo("deb");
            rig.vms.delete("debc", rig.ctx("vm.delete"));
            rig.vms.delete("deb", rig.ctx("vm.delete"));
            rig.vms.deleteSnapshot("deb-s");
            assertThat(rig.store.vms().list()).isEmpty();
            assertThat(rig.taps()).isEmpty();
            assertThat(rig.hypervisorProcesses()).isEmpty();
        }
    }

    /** An interactive login through the system ssh with a terminal, which reads "exit" from it. */
    private static String terminalLogin(VmRig rig, VmInfo vm) {
        SshKeys keys = SshKeys.ensure(rig.layout.stateDir().resolve("ssh"), rig.runner);
        return rig.runner.runAllowingFailure(Command.of("ssh", "-tt", "-F", "none", "-i", keys.privateKey().toString(),
                        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + keys.knownHosts(),
                        "root@" + vm.guestIp())
                .withStdin("exit\n".getBytes(StandardCharsets.UTF_8)).withTimeout(Duration.ofSeconds(60))).stdout();
    }

    private static String pinnedKey(VmRig rig, VmInfo vm) {
        try {
            return Files.readAllLines(rig.layout.stateDir().resolve("ssh/known_hosts")).stream()
                    .filter(l -> List.of(l.split(" ")[0].split(",")).contains(vm.guestIp()))
                    .map(l -> l.split(" ")[2]).findFirst().orElse("none");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static <T> T timed(String what, Supplier<T> work) {
        long t0 = System.nanoTime();
        T result = work.get();
        report(what, t0);
        return result;
    }

    private static Duration report(String what, long startNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        System.out.printf("debian timing: %-28s %6d ms%n", what, took.toMillis());
        return took;
    }
}
