package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.api.VmApi.CreateParams;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.hypervisor.FirecrackerDoubleRig;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm snapshot create} and {@code vm restore} through the VM service on a jailed Firecracker:
 * the real driver runs {@link dev.banger.daemon.vm.hypervisor.FirecrackerDouble} (no Firecracker
 * runs here, nor a guest in it), so the boot stops after the launch (no SSH to wait for). What the
 * service publishes is checked on disk, and the double checks each API request against the contract
 * and every file the restored Firecracker opens as the jail's uid.
 */
class VmFirecrackerSnapshotTest {

    private static final int JAIL_UID = 4242;
    private static final int JAIL_GID = 4343;

    @TempDir
    Path dir;

    @Test
    void aJailedFirecrackerVmIsSnapshottedThroughItsApiAndRestoredInPlaceByAFreshProcessAndAnotherVersionIsRefused() throws Exception {
        FirecrackerDoubleRig fc = new FirecrackerDoubleRig(dir.resolve("double")).version("1.12.0");
        try (VmRig rig = VmRig.withBusybox(dir)) {
            Assumptions.assumeTrue(rig.kernel.vmlinuxPath() != null, "the test kernel has no extracted vmlinux");
            var driver = fc.driver(rig.runner, JAIL_UID, JAIL_GID);
            rig.vms = rig.newService(parts -> parts.withDriver(driver)
                    .withBootPlan((boot, standard) -> upToLaunch(standard)));
            VmInfo vm = rig.vms.create(VmRig.create("fcs", "bb"), rig.ctx("vm.create"));
            assertThat(vm.state()).isEqualTo(VmInfo.RUNNING);

            SnapshotInfo snap = rig.vms.snapshot(new SnapshotParams("fcs", "s1"), rig.ctx("vm.snapshot.create"));

            assertThat(fc.events("violation")).isEmpty();
            assertThat(fc.requests()).containsSubsequence("PATCH /vm", "PUT /snapshot/create", "PATCH /vm");
            assertThat(fc.body("/vm").get("state").asText()).as("running on after the snapshot").isEqualTo("Resumed");
            assertThat(snap.hypervisor()).isEqualTo("firecracker");
            assertThat(snap.stateFormat()).isEqualTo("firecracker 1.12.0, jailed");
            assertThat(snap.stateBytes()).as("the whole guest memory and the device state").isGreaterThan(256L << 20);
            assertThat(snap.sizeBytes()).as("on disk: the memory's zero pages are holes").isLessThan(snap.stateBytes() / 2);
            Path files = rig.layout.stateDir().resolve("snapshots").resolve(snap.id());
            try (Stream<Path> list = Files.list(files)) {
                List<Path> all = list.toList();
                assertThat(all).extracting(p -> p.getFileName().toString())
                        .contains("memory.state", "devices.state", "snapshot.json", "work.ext4");
                for (Path f : all) {
                    assertThat(Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS)).as(f + "'s owner").isEqualTo(0);
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
                }
            }

            int vmsBefore = rig.store.vms().list().size();
            assertThatThrownBy(() -> rig.vms.create(new CreateParams("fcclone", null, null, null, null, null, null, null, null, null, "s1"),
                    rig.ctx("vm.create")))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                    .hasMessageContaining("cannot start a clone under firecracker").hasMessageContaining("banger vm restore fcs s1");
            assertThat(rig.store.vms().list()).as("a refused clone reserves nothing").hasSize(vmsBefore);

            fc.version("1.13.0"); // Firecracker upgraded on the host: its data format may differ
            assertThatThrownBy(() -> rig.vms.restore(new SnapshotParams("fcs", "s1"), rig.ctx("vm.restore")))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                    .hasMessageContaining("was taken with firecracker 1.12.0, jailed; this host runs firecracker 1.13.0, jailed");
            assertThat(rig.vms.show("fcs").state()).as("refused before the VM was touched").isEqualTo(VmInfo.RUNNING);
            assertThat(fc.requests()).doesNotContain("PUT /snapshot/load");
            fc.version("1.12.0");

            VmInfo restored = rig.vms.restore(new SnapshotParams("fcs", "s1"), rig.ctx("vm.restore"));

            assertThat(restored.state()).isEqualTo(VmInfo.RUNNING);
            assertThat(fc.events("violation")).isEmpty();
            JsonNode load = fc.body("/snapshot/load");
            assertThat(load.get("snapshot_path").asText()).isEqualTo("/restore.devices");
            assertThat(load.get("network_overrides").get(0).get("host_dev_name").asText()).as("the VM's own tap")
                    .isEqualTo(HostNetwork.tapName(vm.id()));
            assertThat(fc.events("loaded").getLast().get("memory_head").asText()).as("the saved memory, back")
                    .startsWith("guest memory of " + vm.id() + " at MiB 0");
            assertThat(fc.events("loaded")).as("the drives the state names opened as uid " + JAIL_UID + " in the new jail").hasSize(1);
        }
    }

    /** The standard boot without waiting for SSH and what follows it: the double runs no guest. */
    private static List<BootStep> upToLaunch(List<BootStep> standard) {
        int launch = standard.indexOf(standard.stream().filter(s -> s.name().equals("launch")).findFirst().orElseThrow());
        return standard.subList(0, launch + 1);
    }
}
