package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.LogCapture;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.forward.PortForward;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.HandlesFile;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.reconcile.FirewallRuleSweep;
import dev.banger.daemon.vm.reconcile.OrphanTapSweep;
import dev.banger.daemon.vm.reconcile.Reconciler;
import dev.banger.daemon.vm.reconcile.VmDirSweep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An undo that fails is finished by the next daemon start, and that start removes taps on banger's
 * bridge that no VM holds (a client's hang-up mid-boot: VmCrashTest). Real busybox guests under
 * QEMU, real taps in the tests' network namespace.
 */
class VmUndoTest extends BusyboxVmTest {


    @AfterEach
    void deleteWhatIsLeft() {
        deleteAllVms();
    }

    /** Refuses the next {@code ip link del} once armed, as a busy netlink would. */
    static final class RefusesATapDelete extends CommandRunner {
        final AtomicBoolean armed = new AtomicBoolean();

        @Override
        public CommandResult runAllowingFailure(Command command, Consumer<String> stdoutLines) {
            if (command.argv().size() == 4 && command.argv().subList(0, 3).equals(List.of("ip", "link", "del"))
                    && armed.compareAndSet(true, false)) {
                return new CommandResult(command, 2, "", "RTNETLINK answers: Device or resource busy\n", Duration.ZERO);
            }
            return super.runAllowingFailure(command, stdoutLines);
        }
    }

    @Test
    void anUndoThatFailsIsFinishedByTheNextDaemonStart() {
        RefusesATapDelete refusing = new RefusesATapDelete();
        HostNetwork network = new HostNetwork(rig.config, refusing);
        VMService service = rig.newService(rig.config, network, refusing, parts -> parts.withBootPlan((boot, standard) -> {
            // the real steps up to the launch, which fails
            List<BootStep> steps = new ArrayList<>(standard.stream().takeWhile(s -> !s.name().equals("launch")).toList());
            steps.add(new BootStep() {
                public String name() {
                    return "launch";
                }

                public void run(BootContext b) {
                    throw new IllegalStateException("qemu refused");
                }
            });
            return steps;
        }));
        refusing.armed.set(true);
        assertThatThrownBy(() -> service.create(VmRig.create("half", "bb"), rig.ctx("vm.create"))).hasMessageContaining("qemu refused");
        network.close();

        VmInfo vm = rig.vms.show("half");
        String tap = HostNetwork.tapName(vm.id());
        Path vmDir = rig.layout.vmsDir().resolve(vm.id());
        assertThat(rig.network.bridgeTaps()).as("the tap whose delete was refused").contains(tap);
        assertThat(HandlesFile.read(vmDir).map(VmHandles::phase)).contains(VmHandles.FAILED);

        try (LogCapture log = LogCapture.of(Reconciler.class)) {
            rig.restart();
            assertThat(log.messages()).anyMatch(m -> m.contains("VM half: finished the undo of its failed start"));
        }
        assertThat(rig.taps()).doesNotContain(tap);
        assertThat(HandlesFile.read(vmDir)).isEmpty();
        assertThat(vmDir.resolve("root.qcow2")).as("the root disk the failed start made").doesNotExist();
        assertThat(vmDir.resolve("work.ext4")).as("the work disk the failed start made").doesNotExist();
        VmInfo after = rig.vms.show("half");
        assertThat(after.state()).isEqualTo(VmInfo.ERROR);
        assertThat(after.lastError()).as("the start's own reason").contains("qemu refused");
    }

    @Test
    void aDaemonStartRemovesTapsRulesAndDirsThatNoRunningVmHolds() throws Exception {
        VmInfo keeper = rig.vms.create(VmRig.create("keeper", "bb"), rig.ctx("vm.create"));
        String gone = "deadbeef00000000"; // a VM whose delete the daemon's death cut short
        String orphan = rig.network.createTap(gone, Optional.empty());
        rig.network.nat().enable(gone, HostNetwork.storedAddress("172.30.0.250"));
        rig.network.guard().apply(gone, orphan, HostNetwork.macFor(HostNetwork.storedAddress("172.30.0.250")),
                HostNetwork.storedAddress("172.30.0.250"), false);
        rig.network.forwards().apply(gone, "172.30.0.250", List.of(PortForward.parse("127.0.0.1:18080:80")));
        Path goneDir = Files.createDirectories(rig.layout.vmsDir().resolve(gone));
        Path notAVmDir = Files.createDirectories(rig.layout.vmsDir().resolve("notes"));
        String elsewhere = "tap-fc-elsewher"; // banger's name, but on no bridge of this daemon's: not ours to remove
        rig.runner.run("ip", "tuntap", "add", "dev", elsewhere, "mode", "tap");
        try {
            try (LogCapture taps = LogCapture.of(OrphanTapSweep.class); LogCapture rules = LogCapture.of(FirewallRuleSweep.class);
                 LogCapture dirs = LogCapture.of(VmDirSweep.class)) {
                rig.restart();
                assertThat(taps.messages()).contains("removed tap " + orphan + ": no running VM holds it")
                        .noneMatch(m -> m.contains(elsewhere) || m.contains(HostNetwork.tapName(keeper.id())));
                assertThat(rules.messages()).contains("removed the NAT rules of VM id " + gone + ": it is not running",
                        "removed the tap guard rules of VM id " + gone + ": it is not running",
                        "removed the port forward rules of VM id " + gone + ": it is not running").noneMatch(m -> m.contains(keeper.id()));
                assertThat(dirs.messages()).contains("removed " + goneDir + ": no VM row names it");
            }
            assertThat(rig.taps()).doesNotContain(orphan).contains(HostNetwork.tapName(keeper.id()), elsewhere);
            assertThat(rig.network.nat().vmsWithRules()).doesNotContain(gone);
            assertThat(rig.network.guard().vmsWithRules()).doesNotContain(gone).contains(keeper.id());
            assertThat(rig.network.forwards().vmsWithRules()).doesNotContain(gone);
            assertThat(goneDir).doesNotExist();
            assertThat(notAVmDir).exists();
            assertThat(rig.vms.show("keeper").state()).isEqualTo(VmInfo.RUNNING);
        } finally {
            rig.runner.runAllowingFailure(Command.of("ip", "link", "del", elsewhere));
        }
    }
}
