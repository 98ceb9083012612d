package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.capability.Capability;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A capability's hooks run where a user's host feature needs them (around real boots of the busybox
 * guest): prepare-host with the tap in place and before the hypervisor, after-start once SSH
 * answers, cleanup on every way a run ends, adopt after a daemon restart; and a capability that fails
 * neither leaks the VM's resources nor hides the failure.
 */
class VmCapabilityHooksTest extends BusyboxVmTest {


    @AfterEach
    void deleteWhatIsLeft() {
        deleteAllVms();
        rig.vms = rig.newService();
    }

    /** Records each hook as "hook VM [detail]"; fails a hook when {@code failing} names it. */
    static final class Recording implements Capability {
        final List<String> trail = new CopyOnWriteArrayList<>();
        volatile String failing = "";

        @Override
        public String name() {
            return "recorder";
        }

        @Override
    public boolean preparesHost() {
        return true;
    }

    @Override
        public void prepareHost(BootContext boot) {
            trail.add("prepare " + boot.vm().name() + " tap=" + (boot.tap() != null) + " machine=" + (boot.machine() != null));
            fail("prepare");
        }

        @Override
        public boolean actsAfterStart() {
            return true;
        }

        @Override
        public void afterStart(BootContext boot) {
            trail.add("after " + boot.vm().name() + " machine=" + (boot.machine() != null));
            fail("after");
        }

        @Override
        public void adopt(VmInfo vm, VmHandles handles) {
            trail.add("adopt " + vm.name());
        }

        @Override
        public void cleanup(VmInfo vm, VmHandles handles) {
            trail.add("cleanup " + vm.name() + " " + (handles == null ? "-" : handles.phase()));
            fail("cleanup");
        }

        private void fail(String hook) {
            if (failing.equals(hook)) {
                throw new IllegalStateException("recorder's " + hook + " refused");
            }
        }
    }

    /** Makes the rig's service one with a recorder after the host's capabilities, as a daemon (re)start would. */
    private Recording install() {
        Recording rec = new Recording();
        rig.vms = rig.newService(VmRig.withCapability(rec));
        return rec;
    }

    @Test
    void hooksRunAroundTheBootAndCleanupRunsOnStopKillDeleteAndAdoptAfterADaemonRestart() {
        Recording rec = install();
        rig.vms.create(VmRig.create("hooks", "bb"), rig.ctx("vm.create"));
        assertThat(rec.trail).containsExactly("prepare hooks tap=true machine=false", "after hooks machine=true");
        assertThat(rig.progress).anyMatch(p -> p.contains("stage=recorder,"));

        rig.vms.stop("hooks", rig.ctx("vm.stop"));
        rig.vms.start("hooks", rig.ctx("vm.start"));
        rig.vms.kill("hooks", rig.ctx("vm.kill"));
        assertThat(rec.trail.subList(2, rec.trail.size())).containsExactly(
                "cleanup hooks running", "prepare hooks tap=true machine=false", "after hooks machine=true", "cleanup hooks running");

        rig.vms.start("hooks", rig.ctx("vm.start"));
        Recording afterRestart = install();
        rig.vms.reconcile();
        assertThat(afterRestart.trail).containsExactly("adopt hooks");
        assertThat(rig.vms.show("hooks").state()).isEqualTo(VmInfo.RUNNING);

        rig.vms.delete("hooks", rig.ctx("vm.delete"));
        assertThat(afterRestart.trail).containsExactly("adopt hooks", "cleanup hooks running");
    }

    @Test
    void aFailingAfterStartHookUndoesTheWholeStartAndCleansUpWithThatStartsHandles() {
        Recording rec = install();
        rec.failing = "after";
        assertThatThrownBy(() -> rig.vms.create(VmRig.create("sour", "bb"), rig.ctx("vm.create")))
                .hasMessageContaining("recorder's after refused");

        VmInfo vm = rig.vms.show("sour");
        assertThat(vm.state()).isEqualTo(VmInfo.ERROR);
        assertThat(vm.lastError()).contains("recorder's after refused");
        assertThat(rec.trail).contains("cleanup sour starting");
        assertThat(rig.taps()).doesNotContain(HostNetwork.tapName(vm.id()));
        assertThat(rig.hypervisorProcesses()).isEmpty();
        Path vmDir = rig.layout.vmsDir().resolve(vm.id());
        assertThat(vmDir.resolve("work.ext4")).as("the work disk this start made").doesNotExist();
        assertThat(vmDir.resolve("root.qcow2")).as("the root disk this start made").doesNotExist();
        rig.vms.delete("sour", rig.ctx("vm.delete"));
    }

    @Test
    void aCleanupThatFailsStillEndsTheVmAndLeavesTheRowInErrorUntilADeleteSucceeds() {
        Recording rec = install();
        VmInfo vm = rig.vms.create(VmRig.create("stuck", "bb"), rig.ctx("vm.create"));
        rec.failing = "cleanup";

        assertThatThrownBy(() -> rig.vms.stop("stuck", rig.ctx("vm.stop")))
                .hasMessageContaining("teardown of VM stuck was incomplete").hasMessageContaining("recorder's cleanup refused");
        assertThat(rig.hypervisorProcesses()).as("the VM is ended all the same").isEmpty();
        assertThat(rig.taps()).doesNotContain(HostNetwork.tapName(vm.id()));
        VmInfo after = rig.vms.show("stuck");
        assertThat(after.state()).isEqualTo(VmInfo.ERROR);
        assertThat(after.lastError()).contains("recorder's cleanup refused");

        assertThatThrownBy(() -> rig.vms.delete("stuck", rig.ctx("vm.delete"))).hasMessageContaining("recorder's cleanup refused");
        assertThat(rig.store.vms().find("stuck")).as("kept, so the cleanup can be retried").isPresent();
        rec.failing = "";
        rig.vms.delete("stuck", rig.ctx("vm.delete"));
        assertThat(rig.store.vms().find("stuck")).isEmpty();
        assertThat(rec.trail).as("the handles the incomplete stop kept").endsWith("cleanup stuck running");
    }
}
