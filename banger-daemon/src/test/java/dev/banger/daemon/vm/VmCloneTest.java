package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.api.VmApi.CreateParams;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm create --from-snapshot} on real guests (QEMU under TCG, confined as bangerd confines
 * it when root, busybox + dropbear): two clones of one template snapshot run at once, each with its
 * own address, MAC, hostname, machine-id, host key (the one bangerd pinned over the identity port),
 * clock and RNG state, and the template's process and files; none keeps anything of the template's
 * identity. A daemon restart adopts a clone; a stop and start boots it from its own disks. A
 * snapshot outlives its VM and is not deleted while clones run on it. Bad input leaves nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmCloneTest {

    private static final String COUNTER = "sh -c 'i=0; while :; do i=$((i+1)); echo $i > /run/count; sleep 0.5; done' </dev/null"
            + " >/dev/null 2>&1 & echo $!";
    private static final String HOST_KEY = "dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key | grep ^ssh-ed25519 | cut -d' ' -f2";
    private static final String IDENTITY = "hostname; cat /etc/hostname; cat /sys/class/net/eth0/address;"
            + " ip -4 -o addr show dev eth0 | awk '{print $4}'; cat /etc/machine-id 2>/dev/null || echo none;"
            + " grep -c tpl /etc/hosts || true; " + HOST_KEY;

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
    void clonesOfOneSnapshotRunAtOnceEachWithItsOwnIdentityAndBadInputLeavesNothing() throws Exception {
        VmInfo tpl = rig.vms.create(VmRig.create("tpl", "bb"), rig.ctx("vm.create"));
        String pid = ssh(tpl, COUNTER + "; echo template > /root/marker; sync").strip();
        List<String> tplIdentity = lines(ssh(tpl, IDENTITY));
        SnapshotInfo snap = rig.vms.snapshot(new SnapshotParams("tpl", "base"), rig.ctx("vm.snapshot.create"));
        Path snapDir = rig.layout.stateDir().resolve("snapshots").resolve(snap.id());

        // Bad input first: each refused before anything is reserved, nothing left.
        int tapsBefore = rig.taps().size();
        refused(() -> clone("x1", "nosuch"), ErrorCode.NOT_FOUND, m -> assertThat(m).contains("nosuch"));
        refused(() -> rig.vms.create(new CreateParams("x2", null, null, 2, null, null, null, null, null, null, "base"),
                rig.ctx("vm.create")), ErrorCode.INVALID_ARGUMENT, m -> assertThat(m).contains("--vcpu").contains("--from-snapshot"));
        refused(() -> clone("tpl", "base"), ErrorCode.ALREADY_EXISTS, m -> assertThat(m).contains("tpl"));
        Path state = snapDir.resolve("memory.state");
        Files.move(state, snapDir.resolve("moved"));
        refused(() -> clone("x3", "base"), ErrorCode.BAD_REQUEST, m -> assertThat(m).contains("incomplete").contains("memory.state"));
        Files.move(snapDir.resolve("moved"), state);
        Path manifest = snapDir.resolve("snapshot.json");
        String original = Files.readString(manifest);
        Files.writeString(manifest, original.replace("\"format\" : 2", "\"format\" : 1"));
        refused(() -> clone("x4", "base"), ErrorCode.BAD_REQUEST, m -> assertThat(m).contains("older banger").contains("take a new snapshot"));
        Files.writeString(manifest, original);
        assertThat(rig.vms.list()).extracting(VmInfo::name).containsExactly("tpl");
        assertThat(rig.taps()).hasSize(tapsBefore);
        assertThat(rig.hypervisorProcesses()).hasSize(1);
        assertThat(vmDirs()).hasSize(1);

        // Two clones at once; the first one's create is timed step by step.
        Map<String, Long> split = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        VmInfo a = rig.vms.create(new CreateParams("ca", null, null, null, null, null, null, null, null, null, "base"),
                timed(split, t0));
        long total = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("clone create -> ready: %d ms; steps begun at (ms): %s%n", total, split);
        VmInfo b = clone("cb", "base");
        assertThat(a.fromSnapshot()).isEqualTo(snap.id());
        assertThat(Stream.of(tpl, a, b).map(VmInfo::guestIp).distinct()).hasSize(3);

        List<String> ia = lines(ssh(a, IDENTITY));
        List<String> ib = lines(ssh(b, IDENTITY));
        for (var c : List.of(Map.entry(a, ia), Map.entry(b, ib))) {
            VmInfo vm = c.getKey();
            List<String> id = c.getValue();
            assertThat(id.get(0)).as("hostname").isEqualTo(vm.name());
            assertThat(id.get(1)).as("/etc/hostname").isEqualTo(vm.name());
            assertThat(id.get(2)).as("MAC").isEqualTo(vm.mac());
            assertThat(id.get(3)).as("address").isEqualTo(vm.guestIp() + "/24");
            assertThat(id.get(4)).as("machine-id").matches("[0-9a-f]{32}");
            assertThat(id.get(5)).as("lines of /etc/hosts naming the template").isEqualTo("0");
            assertThat(id.get(6)).as("host key").isNotEqualTo(tplIdentity.get(6));
            assertThat(pinnedKey(vm)).as("the key bangerd pinned for " + vm.name()).isEqualTo(id.get(6));
            long guestClock = Long.parseLong(ssh(vm, "date +%s").strip());
            assertThat(Math.abs(guestClock - System.currentTimeMillis() / 1000)).as("guest clock against the host's").isLessThan(5);
            assertThat(ssh(vm, "kill -0 " + pid + " && echo alive").strip()).as("the template's process").isEqualTo("alive");
            assertThat(ssh(vm, "cat /root/marker").strip()).isEqualTo("template");
        }
        for (int i : new int[] {0, 1, 2, 3, 4, 6}) { // all but the count of template lines in /etc/hosts (0 in both)
            assertThat(ia.get(i)).as("identity line %d of the two clones", i).isNotEqualTo(ib.get(i));
        }
        String random = "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'";
        assertThat(ssh(a, random)).as("/dev/urandom of the two clones").isNotEqualTo(ssh(b, random));
        ssh(a, "echo a > /root/only-a; sync");
        assertThat(ssh(b, "test -e /root/only-a && echo there || echo absent").strip()).isEqualTo("absent");
        assertThat(lines(ssh(tpl, IDENTITY))).as("the template, running on").isEqualTo(tplIdentity);

        // The snapshot cannot go while clones run on its files; it outlives its own VM.
        refused(() -> rig.vms.deleteSnapshot("base"), ErrorCode.BAD_REQUEST, m -> assertThat(m).contains("ca").contains("cb"));
        rig.vms.delete("tpl", rig.ctx("vm.delete"));
        SnapshotInfo orphan = rig.vms.snapshots(null).getFirst();
        assertThat(orphan.vmDeleted()).isTrue();
        assertThat(orphan.vmName()).isEqualTo("tpl");
        refused(() -> rig.vms.restore(new SnapshotParams("ca", "base"), rig.ctx("vm.restore")), ErrorCode.BAD_REQUEST,
                m -> assertThat(m).contains("deleted").contains("--from-snapshot"));

        // A daemon restart adopts a running clone; a stop and start boots it from its own disks, as itself.
        long pidA = rig.vms.show("ca").runtime().pid();
        rig.restart();
        assertThat(rig.vms.show("ca").runtime().pid()).isEqualTo(pidA);
        assertThat(ssh(a, "hostname").strip()).isEqualTo("ca");
        rig.vms.stop("ca", rig.ctx("vm.stop"));
        rig.vms.start("ca", rig.ctx("vm.start"));
        assertThat(lines(ssh(a, IDENTITY))).as("after a cold boot").isEqualTo(ia);
        assertThat(ssh(a, "cat /root/only-a").strip()).isEqualTo("a");

        // A snapshot of a clone does not need the clone's snapshot: base can go, and ca-s still clones.
        rig.vms.snapshot(new SnapshotParams("ca", "ca-s"), rig.ctx("vm.snapshot.create"));
        rig.vms.delete("ca", rig.ctx("vm.delete"));
        rig.vms.delete("cb", rig.ctx("vm.delete"));
        rig.vms.deleteSnapshot("base");
        assertThat(snapDir).doesNotExist();
        VmInfo c = clone("cc", "ca-s");
        assertThat(ssh(c, "hostname; cat /root/only-a /root/marker")).isEqualTo("cc\na\ntemplate\n");
        rig.vms.delete("cc", rig.ctx("vm.delete"));
        refused(() -> rig.images.delete("bb"), ErrorCode.BAD_REQUEST, m -> assertThat(m).contains("snapshot(s) ca-s"));

        // No room for the clone's disks: the NoSpace error, nothing left.
        CommandRunner runner = new CommandRunner();
        runner.run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", rig.layout.vmsDir().toString());
        try {
            assertThatThrownBy(() -> clone("full", "ca-s")).isInstanceOfSatisfying(NoSpaceException.class,
                    e -> assertThat(e.getMessage()).contains("clone full"));
            assertThat(vmDirs()).isEmpty();
        } finally {
            runner.run("umount", "-l", rig.layout.vmsDir().toString());
        }
        assertThat(rig.vms.list()).isEmpty();
        assertThat(rig.taps()).hasSize(tapsBefore - 1);
        assertThat(rig.hypervisorProcesses()).isEmpty();
        rig.vms.deleteSnapshot("ca-s");
        assertThat(rig.vms.snapshots(null)).isEmpty();
    }

    private VmInfo clone(String name, String snapshot) {
        return rig.vms.create(new CreateParams(name, null, null, null, null, null, null, null, null, null, snapshot),
                rig.ctx("vm.create"));
    }

    /** A context that records when each progress step began, in ms since {@code t0}. */
    private OperationContext timed(Map<String, Long> split, long t0) {
        return new Operations(rig.store, Clock.systemUTC()).begin(Operations.newOpId(), "vm.create", "test", false,
                e -> split.put(String.valueOf(e).replaceAll(".*stage=([^,}]*).*", "$1"), (System.nanoTime() - t0) / 1_000_000));
    }

    private String pinnedKey(VmInfo vm) throws Exception {
        return Files.readAllLines(rig.layout.stateDir().resolve("ssh/known_hosts")).stream()
                .filter(l -> List.of(l.split(" ")[0].split(",")).contains(vm.guestIp()))
                .map(l -> l.split(" ")[2]).findFirst().orElse("none");
    }

    private List<Path> vmDirs() throws Exception {
        try (var d = Files.list(rig.layout.vmsDir())) {
            return d.toList();
        }
    }

    private static List<String> lines(String out) {
        return new ArrayList<>(List.of(out.strip().split("\n")));
    }

    private static void refused(ThrowingCallable call, ErrorCode code, Consumer<String> message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(BangerException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            message.accept(e.getMessage());
        });
    }

    private String ssh(VmInfo vm, String command) {
        ExecResult r = rig.ssh(vm, command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as(command + ": " + r.stderr()).isZero();
        return r.stdout();
    }
}
