package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live snapshots and restore on a real guest (QEMU under TCG, confined as bangerd confines it when
 * root, busybox + dropbear): a snapshot keeps a counting process and the disks; a file written
 * after it is gone after a restore, the process is back at its count of then. Bad input is refused
 * before the VM is touched: a stopped VM's snapshot, a VM whose size changed, a snapshot missing
 * files or written by another QEMU, a full disk while writing (nothing listed, nothing left).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmSnapshotTest {

    private static final String COUNTER = "sh -c 'i=0; while :; do i=$((i+1)); echo $i > /root/count; sleep 0.2; done' </dev/null"
            + " >/dev/null 2>&1 & echo $!";

    @TempDir
    static Path dir;
    VmRig rig;

    @BeforeAll
    void setUp() {
        rig = VmRig.withBusybox(dir);
    }

    @AfterAll
    void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void restoreRollsTheDisksAndTheRunningProcessBackAndBadInputIsRefusedBeforeTheVmIsTouched() throws Exception {
        VmInfo vm = rig.vms.create(VmRig.create("sn", "bb"), rig.ctx("vm.create"));
        String pid = ssh(vm, COUNTER + "; echo one > /root/before").strip();
        Thread.sleep(1500);

        long t0 = System.nanoTime();
        SnapshotInfo snap = rig.vms.snapshot(new SnapshotParams("sn", "s1"), rig.ctx("vm.snapshot.create"));
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;
        int countAtSnapshot = count(vm);
        Path snapDir = rig.layout.stateDir().resolve("snapshots").resolve(snap.id());
        System.out.printf("snapshot of a %d MiB guest: took %d ms, paused %d ms, state %d bytes, %d bytes on disk%n",
                snap.memoryMib(), tookMillis, snap.pauseMillis(), snap.stateBytes(), snap.sizeBytes());
        assertThat(snap.pauseMillis()).as("pause").isLessThan(tookMillis);
        assertThat(snap.stateBytes()).as("the state file against the guest's RAM").isPositive().isLessThan(256L << 20);
        assertThat(snap.sizeBytes()).isPositive();
        assertThat(snapDir.resolve("memory.state")).isRegularFile();
        assertThat(rig.vms.snapshots("sn")).extracting(SnapshotInfo::name).containsExactly("s1");
        assertThat(rig.vms.show("sn").state()).as("the VM runs on after the snapshot").isEqualTo(VmInfo.RUNNING);
        assertThat(ssh(vm, "cat /root/before").strip()).isEqualTo("one");

        refused(() -> rig.vms.snapshot(new SnapshotParams("sn", "Bad_Name"), rig.ctx("vm.snapshot.create")),
                ErrorCode.INVALID_ARGUMENT, m -> assertThat(m).contains("snapshot name 'Bad_Name' is not allowed"));
        assertThat(rig.vms.snapshots("sn")).as("a refused name leaves no snapshot").extracting(SnapshotInfo::name).containsExactly("s1");

        ssh(vm, "echo two > /root/after; sync");
        Thread.sleep(2000);
        int countBeforeRestore = count(vm);

        long r0 = System.nanoTime();
        VmInfo restored = rig.vms.restore(new SnapshotParams("sn", "s1"), rig.ctx("vm.restore"));
        System.out.printf("restore: %d ms to SSH%n", (System.nanoTime() - r0) / 1_000_000);
        assertThat(restored.state()).isEqualTo(VmInfo.RUNNING);
        assertThat(ssh(vm, "test -e /root/after && echo there || echo gone").strip()).as("a file written after the snapshot")
                .isEqualTo("gone");
        assertThat(ssh(vm, "cat /root/before").strip()).isEqualTo("one");
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).as("the process of then").isEqualTo("alive");
        int countAfterRestore = count(vm);
        assertThat(countAfterRestore).as("its count goes on from the snapshot's").isLessThan(countBeforeRestore)
                .isGreaterThanOrEqualTo(countAtSnapshot - 5);

        // A snapshot from another QEMU (its manifest says so) is refused with the reason; the VM keeps running.
        SnapshotInfo other = rig.vms.snapshot(new SnapshotParams("sn", "s2"), rig.ctx("vm.snapshot.create"));
        Path manifest = rig.layout.stateDir().resolve("snapshots").resolve(other.id()).resolve("snapshot.json");
        String original = Files.readString(manifest);
        Files.writeString(manifest, original.replaceAll("\"state_format\" : \"[^\"]*\"", "\"state_format\" : \"qemu 6.2.0\""));
        refused(() -> rig.vms.restore(new SnapshotParams("sn", "s2"), rig.ctx("vm.restore")), ErrorCode.BAD_REQUEST,
                m -> assertThat(m).contains("qemu 6.2.0").contains("take a new snapshot"));
        Files.writeString(manifest, original.replace("\"format\" : 2", "\"format\" : 1"));
        refused(() -> rig.vms.restore(new SnapshotParams("sn", "s2"), rig.ctx("vm.restore")), ErrorCode.BAD_REQUEST,
                m -> assertThat(m).contains("older banger").contains("format 1").contains("take a new snapshot"));
        Files.writeString(manifest, original);
        Files.delete(manifest.resolveSibling("memory.state"));
        refused(() -> rig.vms.restore(new SnapshotParams("sn", "s2"), rig.ctx("vm.restore")), ErrorCode.BAD_REQUEST,
                m -> assertThat(m).contains("incomplete").contains("memory.state missing"));
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).as("after the refusals").isEqualTo("alive");
        rig.vms.deleteSnapshot("s2");
        assertThat(manifest.getParent()).doesNotExist();
        assertThat(rig.vms.snapshots(null)).extracting(SnapshotInfo::name).containsExactly("s1");

        // A full disk while writing: an error naming it, nothing listed, nothing left.
        Path snapshots = rig.layout.stateDir().resolve("snapshots");
        CommandRunner runner = new CommandRunner();
        runner.run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", snapshots.toString());
        try {
            refused(() -> rig.vms.snapshot(new SnapshotParams("sn", "full"), rig.ctx("vm.snapshot.create")),
                    ErrorCode.OPERATION_FAILED, m -> assertThat(m).containsIgnoringCase("space"));
            try (var left = Files.list(snapshots)) {
                assertThat(left.toList()).as("left in the snapshots dir").isEmpty();
            }
        } finally {
            runner.run("umount", snapshots.toString());
        }
        assertThat(rig.vms.snapshots("sn")).extracting(SnapshotInfo::name).containsExactly("s1");
        assertThat(rig.vms.show("sn").state()).as("running on after the failed snapshot").isEqualTo(VmInfo.RUNNING);
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).isEqualTo("alive");

        // A stopped VM has no memory to snapshot; a VM whose size changed cannot take its old memory back.
        rig.vms.stop("sn", rig.ctx("vm.stop"));
        refused(() -> rig.vms.snapshot(new SnapshotParams("sn", "s3"), rig.ctx("vm.snapshot.create")),
                ErrorCode.NOT_RUNNING, m -> assertThat(m).contains("not running").contains("start it first"));
        rig.vms.set(new VmApi.SetParams("sn", null, "384", null, null, null));
        refused(() -> rig.vms.restore(new SnapshotParams("sn", "s1"), rig.ctx("vm.restore")), ErrorCode.BAD_REQUEST,
                m -> assertThat(m).contains("256 MiB").contains("384 MiB"));
        assertThat(rig.vms.show("sn").state()).isEqualTo(VmInfo.STOPPED);
        rig.vms.set(new VmApi.SetParams("sn", null, "256", null, null, null));

        // Restoring a stopped VM starts it from the snapshot.
        assertThat(rig.vms.restore(new SnapshotParams("sn", "s1"), rig.ctx("vm.restore")).state()).isEqualTo(VmInfo.RUNNING);
        assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).isEqualTo("alive");

        rig.vms.delete("sn", rig.ctx("vm.delete"));
        assertThat(rig.vms.snapshots(null)).as("a snapshot outlives its VM (clones are made of it)").singleElement()
                .satisfies(s -> assertThat(s.vmDeleted()).isTrue());
        assertThat(snapDir).isDirectory();
        rig.vms.deleteSnapshot("s1");
        assertThat(snapDir).doesNotExist();
    }

    private static void refused(ThrowingCallable call, ErrorCode code, Consumer<String> message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(BangerException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            message.accept(e.getMessage());
        });
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
