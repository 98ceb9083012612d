package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real VMs end to end: a busybox+dropbear image pulled from a real registry, Debian's cloud
 * kernel, QEMU under TCG, a real bridge and taps (inside the test JVM's private network
 * namespace), SSH with banger's own key. After every test: no tap, no QEMU process, no VM dir
 * without its row.
 */
class VmLifecycleTest extends BusyboxVmTest {


    @AfterEach
    void nothingLeaks() {
        List<VmInfo> vms = rig.store.vms().list();
        List<String> runningIds = vms.stream().filter(VmInfo::running).map(VmInfo::id).toList();
        assertThat(rig.taps()).as("taps of VMs that are not running")
                .allMatch(t -> runningIds.stream().anyMatch(id -> t.equals(dev.banger.daemon.network.HostNetwork.tapName(id))));
        assertThat(rig.hypervisorProcesses()).as("QEMU processes of VMs that are not running").hasSize(runningIds.size());
        List<String> ids = vms.stream().map(VmInfo::id).toList();
        try (var dirs = Files.list(rig.layout.vmsDir())) {
            assertThat(dirs.map(p -> p.getFileName().toString()).toList()).as("VM dirs without a row").allMatch(ids::contains);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void createSshStopStartKeepsFilesAndRestartRebootsThenDeleteLeavesNothing() {
        VmInfo vm = rig.vms.create(VmRig.create("life", "bb"), rig.ctx("vm.create"));
        assertThat(vm.state()).isEqualTo("running");
        assertThat(vm.guestIp()).startsWith("172.16.0.");
        assertThat(vm.runtime().accel()).isIn("tcg", "kvm");
        assertThat(rig.progress).anyMatch(p -> p.contains("wait for ssh"));

        ExecResult hello = ssh(vm, "hostname; echo kept > /root/note; cat /proc/sys/kernel/random/boot_id");
        assertThat(hello.exitCode()).isZero();
        List<String> out = hello.stdout().lines().toList();
        assertThat(out.getFirst()).isEqualTo("life");
        String bootId = out.get(1);

        VmInfo stopped = rig.vms.stop("life", rig.ctx("vm.stop"));
        assertThat(stopped.state()).isEqualTo("stopped");
        assertThat(stopped.runtime()).isNull();
        nothingLeaks();
        assertThatThrownBy(() -> rig.vms.stop("life", rig.ctx("vm.stop")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_RUNNING))
                .hasMessageContaining("not running");

        rig.vms.start("life", rig.ctx("vm.start"));
        assertThat(ssh(vm, "cat /root/note").stdout().strip()).as("a file written before stop").isEqualTo("kept");
        assertThatThrownBy(() -> rig.vms.start("life", rig.ctx("vm.start"))).hasMessageContaining("already running");

        rig.vms.restart("life", rig.ctx("vm.restart"));
        String afterRestart = ssh(vm, "cat /proc/sys/kernel/random/boot_id").stdout().strip();
        assertThat(afterRestart).as("restart boots the guest afresh").isNotEqualTo(bootId).isNotBlank();

        VmInfo killed = rig.vms.kill("life", rig.ctx("vm.kill"));
        assertThat(killed.state()).as("kill ends in stopped, not error").isEqualTo("stopped");
        nothingLeaks();

        rig.vms.delete("life", rig.ctx("vm.delete"));
        assertThat(rig.store.vms().find("life")).isEmpty();
        assertThat(rig.layout.vmsDir().resolve(vm.id())).doesNotExist();
        assertThat(knownHosts()).doesNotContain(vm.guestIp()).doesNotContain("life.vm");
    }

    @Test
    void aDaemonRestartAdoptsTheRunningVmWhichKeepsItsBoot() {
        VmInfo vm = rig.vms.create(VmRig.create("adopt", "bb"), rig.ctx("vm.create"));
        String bootId = ssh(vm, "cat /proc/sys/kernel/random/boot_id").stdout().strip();
        long pid = vm.runtime().pid();

        VMService after = rig.restart();
        VmInfo adopted = after.show("adopt");
        assertThat(adopted.state()).isEqualTo("running");
        assertThat(adopted.runtime().pid()).isEqualTo(pid);
        assertThat(ssh(vm, "cat /proc/sys/kernel/random/boot_id").stdout().strip()).isEqualTo(bootId);
        after.delete("adopt", rig.ctx("vm.delete"));
    }

    @Test
    void aVmWhoseProcessDiedWhileTheDaemonWasDownIsCleanedUpAndStopped() {
        VmInfo vm = rig.vms.create(VmRig.create("gone", "bb"), rig.ctx("vm.create"));
        ProcessHandle.of(vm.runtime().pid()).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(vm.runtime().pid()).ifPresent(p -> p.onExit().join());

        VmInfo after = rig.restart().show("gone");
        assertThat(after.state()).isEqualTo("stopped");
        assertThat(after.lastError()).as("why it no longer runs").isEqualTo("its hypervisor process ended while bangerd was not running");
        assertThat(rig.taps()).doesNotContain(vm.runtime().tap());
        rig.vms.delete("gone", rig.ctx("vm.delete"));
    }

    @Test
    void badInputIsRefusedWithTheReasonAndCreatesNothing() {
        for (String name : List.of("../etc", "UPPER", "-lead", "a".repeat(64), "with space", "dot.ted")) {
            assertThatThrownBy(() -> rig.vms.create(VmRig.create(name, "bb"), rig.ctx("vm.create")))
                    .as(name).hasMessageContaining("VM name").hasMessageContaining(name);
        }
        assertThatThrownBy(() -> rig.vms.create(VmRig.create("x1", "no-such-image"), rig.ctx("vm.create")))
                .as("an unknown --image is a usage error (exit 2 in the CLI)")
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("no-such-image");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x2", "bb", null, 0, null, null, true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("--vcpu 0");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x3", "bb", null, -2, null, null, true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("--vcpu -2");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x4", "bb", null, 1000, null, null, true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("--vcpu 1000");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x5", "bb", null, 1, "0", null, true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("--memory 0");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x6", "bb", null, 1, "lots", null, true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("lots");
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("x7", "bb", null, 1, null, "big", true, null, null), rig.ctx("vm.create")))
                .hasMessageContaining("--disk-size").hasMessageContaining("big");
        assertThat(rig.store.vms().list()).isEmpty();

        rig.vms.create(new VmApi.CreateParams("dup", "bb", null, null, null, null, true, null, null), rig.ctx("vm.create"));
        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("dup", "bb", null, null, null, null, true, null, null), rig.ctx("vm.create")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        assertThatThrownBy(() -> rig.vms.stop("dup", rig.ctx("vm.stop")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_RUNNING));
        assertThatThrownBy(() -> rig.vms.set(new VmApi.SetParams("dup", null, null, "64M", null, null)))
                .hasMessageContaining("cannot shrink");
        assertThat(rig.vms.set(new VmApi.SetParams("dup", 2, "1G", "8G", null, null)))
                .extracting(VmInfo::vcpu, VmInfo::memoryMib, VmInfo::diskBytes).containsExactly(2, 1024, 8L << 30);
        assertThat(rig.vms.prune(rig.ctx("vm.prune"))).extracting(VmInfo::name).containsExactly("dup");
        assertThat(rig.store.vms().list()).isEmpty();
    }

    @Test
    void aGuestThatNeverAnswersSshFailsTheStartWithItsConsoleAndLeavesNothingRunning() {
        VMService impatient = rig.newService(rig.config.withVm(rig.config.vm().withBootTimeout(Duration.ofMillis(1500))), rig.network,
                rig.runner, java.util.function.UnaryOperator.identity());

        assertThatThrownBy(() -> impatient.create(VmRig.create("mute", "bb"), rig.ctx("vm.create")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("VM mute did not answer SSH on 172.16.0.")
                .hasMessageContaining("last console lines (banger vm logs mute shows all)");

        VmInfo failed = impatient.show("mute");
        assertThat(failed.state()).isEqualTo("error");
        assertThat(failed.lastError()).contains("did not answer SSH");
        assertThat(failed.runtime()).isNull();
        nothingLeaks();
        List<String> console = impatient.logs(new VmApi.LogsParams("mute", null)).lines();
        assertThat(console).as("the console of the failed boot stays readable").isNotEmpty();
        impatient.delete("mute", rig.ctx("vm.delete"));
    }

    private ExecResult ssh(VmInfo vm, String command) {
        return rig.ssh(vm, command, Duration.ofSeconds(30));
    }

    private String knownHosts() {
        try {
            return Files.readString(rig.layout.stateDir().resolve("ssh/known_hosts"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
