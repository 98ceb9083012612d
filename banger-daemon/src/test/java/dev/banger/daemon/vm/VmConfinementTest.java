package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.vm.hypervisor.ConfinedQemu;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real VM through the VM service as root's bangerd runs it: its QEMU is the unprivileged
 * banger-vmm in an empty chroot under seccomp, and the guest still boots to SSH, is adopted by a
 * restarted daemon (still confined, same pid), and stops.
 */
class VmConfinementTest {

    @TempDir
    static Path dir;

    @Test
    void qemuRunsAsTheVmmUserInAnEmptyChrootUnderSeccompAndTheVmBootsIsAdoptedAndStops() throws Exception {
        try (VmRig rig = VmRig.withBusybox(dir)) {
            VmInfo vm = rig.vms.create(VmRig.create("jailed", "bb"), rig.ctx("vm.create"));
            Path runDir = rig.layout.vmsDir().resolve(vm.id());
            long pid = vm.runtime().pid();
            ConfinedQemu.assertConfined(pid, runDir);
            assertThat(rig.ssh(vm, "echo up", Duration.ofSeconds(30)).stdout().strip()).as("SSH into the guest").isEqualTo("up");

            VMService after = rig.restart();
            VmInfo adopted = after.show("jailed");
            assertThat(adopted.state()).isEqualTo("running");
            assertThat(adopted.runtime().pid()).as("the same QEMU, adopted").isEqualTo(pid);
            ConfinedQemu.assertConfined(pid, runDir);
            assertThat(rig.ssh(vm, "echo still", Duration.ofSeconds(30)).stdout().strip()).isEqualTo("still");

            VmInfo stopped = after.stop("jailed", rig.ctx("vm.stop"));
            assertThat(stopped.state()).isEqualTo("stopped");
            assertThat(rig.hypervisorProcesses()).as("QEMU is gone (at most a zombie, which has no command line)").isEmpty();
        }
    }
}
