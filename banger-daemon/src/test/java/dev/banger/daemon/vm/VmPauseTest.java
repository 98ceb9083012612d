package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi.DeleteParams;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code vm pause} / {@code vm resume} on a real guest (QEMU under TCG, busybox + dropbear): a
 * process counting in the guest's memory stops counting while the VM is paused and goes on, the
 * same process, after resume; a paused VM is reported {@code paused}, refuses SSH users with the
 * way out, and is adopted as paused by a restarted daemon.
 */
class VmPauseTest extends BusyboxVmTest {

    /** One count every 0.2 s of the guest's time; the guest's clock stands still while it is paused. */
    private static final String COUNTER = "sh -c 'i=0; while :; do i=$((i+1)); echo $i > /root/count; sleep 0.2; done' </dev/null"
            + " >/dev/null 2>&1 & echo $!";
    private static final Duration PAUSED_FOR = Duration.ofSeconds(5);


    @Test
    void aPausedGuestStopsCountingAndTheSameProcessCountsOnAfterResumeAndAcrossADaemonRestart() throws Exception {
        VmInfo vm = rig.vms.create(VmRig.create("pz", "bb"), rig.ctx("vm.create"));
        String pid = ssh(vm, COUNTER).strip();
        Thread.sleep(1000);

        int before = count(vm);
        VmInfo paused = rig.vms.pause("pz", rig.ctx("vm.pause"));
        Thread.sleep(PAUSED_FOR.toMillis());
        assertThat(paused.state()).isEqualTo(VmInfo.PAUSED);
        assertThat(rig.vms.list()).filteredOn(v -> v.name().equals("pz")).extracting(VmInfo::state).containsExactly("paused");
        assertThat(rig.store.vms().find("pz").orElseThrow().state()).as("the row").isEqualTo(VmInfo.RUNNING);
        assertThatThrownBy(() -> rig.vms.sshInfo("pz")).isInstanceOfSatisfying(BangerException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NOT_RUNNING);
            assertThat(e.getMessage()).contains("paused").contains("banger vm resume pz");
        });

        assertThat(rig.vms.resume("pz", rig.ctx("vm.resume")).state()).isEqualTo(VmInfo.RUNNING);
        int after = count(vm);
        // Unpaused, 5 s would have added 25; the ssh round trips around the pause add a few.
        assertThat(after - before).as("counts between the reads around a 5 s pause").isBetween(0, 15);
        Thread.sleep(1000);
        assertThat(count(vm)).as("it counts on").isGreaterThan(after);
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).as("the same process").isEqualTo("alive");

        rig.vms.pause("pz", rig.ctx("vm.pause"));
        rig.restart();
        assertThat(rig.vms.show("pz").state()).as("adopted by a restarted daemon").isEqualTo(VmInfo.PAUSED);
        rig.vms.resume("pz", rig.ctx("vm.resume"));
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).isEqualTo("alive");

        rig.vms.pause("pz", rig.ctx("vm.pause"));
        assertThatThrownBy(() -> rig.vms.delete(new DeleteParams("pz", null), rig.ctx("vm.delete")))
                .isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).as("a usage error: exit 2").isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).isEqualTo("VM pz is paused: stop it first, or delete it with -f/--force");
                });
        assertThat(rig.vms.show("pz").state()).as("untouched by the refused delete").isEqualTo(VmInfo.PAUSED);
        assertThat(rig.vms.stop("pz", rig.ctx("vm.stop")).state()).as("a paused VM stops").isEqualTo(VmInfo.STOPPED);
        assertThatThrownBy(() -> rig.vms.pause("pz", rig.ctx("vm.pause")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_RUNNING));
        assertThat(rig.hypervisorProcesses()).isEmpty();
        rig.vms.delete(new DeleteParams("pz", null), rig.ctx("vm.delete"));
        assertThat(rig.store.vms().find("pz")).as("a stopped VM is deleted without --force").isEmpty();
    }

    private int count(VmInfo vm) {
        return Integer.parseInt(ssh(vm, "cat /root/count").strip());
    }

    private String ssh(VmInfo vm, String command) {
        ExecResult r = rig.ssh(vm, command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as(command + ": " + r.stderr()).isZero();
        return r.stdout();
    }
}
