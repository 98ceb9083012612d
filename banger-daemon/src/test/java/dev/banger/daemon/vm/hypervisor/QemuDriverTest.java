package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.kernel.DebKernelImporter;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU driver against real QEMU under TCG (this host's KVM is PVM, see host-facts.md), one
 * guest at a time: Debian's cloud kernel imported once, tiny busybox ext4 roots whose init
 * (chosen with init=) prints a marker on the console and then sleeps or powers off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuDriverTest {

    private static final Duration BOOT = Duration.ofSeconds(120);
    private static final String MAC = "02:fc:00:00:00:2a";

    @TempDir
    static Path dir;
    final CommandRunner runner = new CommandRunner();
    final VmSettings settings = VmSettings.defaults().withHypervisor("qemu", "qemu-system-x86_64");
    Path kernel;
    Path initrd;
    HypervisorDriver driver;

    @BeforeAll
    void importKernel() throws IOException {
        Assumptions.assumeTrue(TestKernelDeb.onHost("qemu-system-x86_64"),
                "qemu-system-x86_64 is not installed (package qemu-system-x86): skipping the QEMU driver tests");
        TestKernelDeb.requireTools();
        Path out = Files.createDirectories(dir.resolve("kernel"));
        try (Store store = Store.open(dir.resolve("state.db"))) {
            new DebKernelImporter(runner).build(TestKernelDeb.require(), out, null,
                    new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.import", "test", false, e -> { }));
        }
        kernel = out.resolve("vmlinuz");
        initrd = out.resolve("initrd.img");
        driver = Hypervisors.select(settings, runner, dir.resolve("state"));
    }

    @Test
    void aGuestBootsWithItsDisksAndNicIsAdoptedByANewDriverAndKillEndsIt() throws Exception {
        Path base = rootDisk("sleeper", """
                echo "HV-MARKER up"
                echo "mac $(cat /sys/class/net/eth0/address 2>&1)"
                mkdir -p /proc && mount -t proc proc /proc
                echo "rdrand $(grep -c -w rdrand /proc/cpuinfo)"
                echo "disks $(ls /dev/vda /dev/vdb 2>&1 | tr '\\n' ' ')"
                while true; do sleep 1000; done
                """);
        Path overlay = dir.resolve("sleeper.qcow2"); // the root as the VM service makes it: a qcow2 overlay on the image
        runner.run(Command.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", overlay.toString()));
        Path work = sparseFile("sleeper-work.ext4", 16 << 20);
        String tap = "tap-hvtest0"; // in the test JVM's private network namespace
        runner.run(Command.of("ip", "tuntap", "add", "dev", tap, "mode", "tap"));
        try {
            MachineSpec spec = new MachineSpec("vm-1", "sleeper", 1, 256, kernel, initrd,
                    "init=/sbin/hv-test-init banger.hostname=sleeper", overlay, DiskFormat.QCOW2, work, tap, MAC, runDir("sleeper"));
            MachineProcess p = driver.launch(spec);
            try {
                assertThat(driver.isAlive(p)).isTrue();
                ConfinedQemu.assertConfined(p.pid(), spec.runDir());
                assertThat(p.driver()).isEqualTo("qemu");
                assertThat(p.accel()).isEqualTo(driver.acceleration().mode());
                String console = awaitConsole(p, "disks ");
                assertThat(console).contains("HV-MARKER up", "mac " + MAC, "disks /dev/vda /dev/vdb");
                assertThat(console).as("the kernel's command line").containsPattern("Command line: .*init=/sbin/hv-test-init banger.hostname=sleeper");
                if (p.accel().equals("tcg")) {
                    assertThat(console).containsPattern("Command line: .* tsc_early_khz=[1-9][0-9]*");
                    assertThat(console).as("a CPU RNG, so that the guest need not wait for entropy").contains("rdrand 1");
                }

                // The daemon restarts: the record comes back from JSON, a new driver takes it over.
                ObjectMapper json = new ObjectMapper();
                MachineProcess stored = json.readValue(json.writeValueAsString(p), MachineProcess.class);
                HypervisorDriver restarted = Hypervisors.select(settings, runner, dir.resolve("state"));
                assertThat(restarted.adopt(stored)).contains(p);
                assertThat(restarted.adopt(withPidAndTicks(p, p.pid(), p.startTicks() + 1))).as("pid reused since").isEmpty();
                long self = ProcessHandle.current().pid();
                assertThat(restarted.adopt(withPidAndTicks(p, self, ProcEntry.read(self).orElseThrow().startTicks())))
                        .as("a live process that is not this VM's QEMU").isEmpty();

                restarted.kill(stored);
                assertThat(driver.isAlive(p)).isFalse();
                assertThat(liveProcessesNaming(p.controlSocket())).isEmpty();
                assertThat(restarted.adopt(stored)).isEmpty();
                driver.kill(p); // again: nothing to do
                driver.requestShutdown(p); // a dead VM: nothing to press
                assertThat(driver.awaitExit(p, Duration.ZERO)).isTrue();
            } finally {
                driver.kill(p);
            }
        } finally {
            runner.run(Command.of("ip", "link", "del", tap));
        }
    }

    @Test
    void aGuestThatPowersOffEndsAndItsConsoleLogIsAppendedTo() throws Exception {
        Path root = rootDisk("poweroff", """
                echo "HV-MARKER bye"
                poweroff -f
                """);
        MachineSpec spec = new MachineSpec("vm-2", "poweroff", 1, 256, kernel, initrd, "init=/sbin/hv-test-init", root,
                DiskFormat.RAW, null, null, null, runDir("poweroff"));
        // vmm_user = "root", the explicit opt-out: QEMU keeps root (no -runas, no chroot), still under seccomp.
        HypervisorDriver asRoot = Hypervisors.select(settings.withVmmUser("root"), runner, dir.resolve("state"));
        MachineProcess first = asRoot.launch(spec);
        assertThat(asRoot.awaitExit(first, BOOT)).isTrue();
        assertThat(asRoot.isAlive(first)).isFalse();
        assertThat(runDir("poweroff").resolve("chroot")).doesNotExist();
        MachineProcess second = driver.launch(spec); // the same run dir: a restarted VM, now confined
        assertThat(driver.awaitExit(second, BOOT)).isTrue();
        assertThat(Files.readString(second.consoleLog())).containsSubsequence("HV-MARKER bye", "HV-MARKER bye");
    }

    @Test
    void aQemuThatDoesNotAnswerQuitIsKilledAfterTwoSeconds() throws Exception {
        Path root = rootDisk("stubborn", "while true; do sleep 1000; done\n");
        MachineSpec spec = new MachineSpec("vm-5", "stubborn", 1, 256, kernel, initrd, "init=/sbin/hv-test-init", root,
                DiskFormat.RAW, null, null, null, runDir("stubborn"));
        MachineProcess p = driver.launch(spec);
        try {
            // A record whose control socket is gone: QMP quit cannot reach QEMU, so only SIGKILL ends it.
            MachineProcess unreachable = new MachineProcess(p.driver(), p.pid(), p.startTicks(), dir.resolve("gone.sock"),
                    p.consoleLog(), p.accel());
            long t0 = System.nanoTime();
            driver.kill(unreachable);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(driver.isAlive(p)).isFalse();
            assertThat(liveProcessesNaming(p.controlSocket())).isEmpty();
        } finally {
            driver.kill(p);
        }
    }

    @Test
    void aDiskQemuRefusesFailsTheLaunchWithQemusComplaintAndLeavesNothingRunning() throws Exception {
        Path notQcow2 = dir.resolve("not-a.qcow2");
        Files.writeString(notQcow2, "this is not a qcow2 image\n");
        MachineSpec spec = new MachineSpec("vm-3", "refused", 1, 256, kernel, initrd, "init=/sbin/hv-test-init", notQcow2,
                DiskFormat.QCOW2, null, null, null, runDir("refused"));
        assertThatThrownBy(() -> driver.launch(spec))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("VM refused: QEMU refused to start")
                .hasMessageContaining("Image is not in qcow2 format");
        assertThat(liveProcessesNaming(spec.runDir().resolve("qmp.sock"))).isEmpty();
    }

    @Test
    void missingFilesAndAMissingQemuAreBadRequestsNamingThem() throws Exception {
        Path root = sparseFile("blank.ext4", 1 << 20);
        MachineSpec noKernel = new MachineSpec("vm-4", "bad", 1, 256, dir.resolve("no-vmlinuz"), null, "", root,
                DiskFormat.RAW, null, null, null, runDir("bad"));
        assertBadRequest(driver, noKernel, "the kernel " + dir.resolve("no-vmlinuz") + " does not exist");
        MachineSpec noRoot = new MachineSpec("vm-4", "bad", 1, 256, kernel, initrd, "", dir.resolve("no-root.ext4"),
                DiskFormat.RAW, null, null, null, runDir("bad"));
        assertBadRequest(driver, noRoot, "the root disk " + dir.resolve("no-root.ext4") + " does not exist");
        MachineSpec noInitrd = new MachineSpec("vm-4", "bad", 1, 256, kernel, dir.resolve("no-initrd"), "", root,
                DiskFormat.RAW, null, null, null, runDir("bad"));
        assertBadRequest(driver, noInitrd, "the initrd " + dir.resolve("no-initrd") + " does not exist");

        HypervisorDriver noQemu = Hypervisors.select(settings.withHypervisor("qemu", "/nonexistent/qemu"), runner, dir.resolve("state"));
        MachineSpec fine = new MachineSpec("vm-4", "bad", 1, 256, kernel, initrd, "", root, DiskFormat.RAW, null, null, null,
                runDir("bad"));
        assertBadRequest(noQemu, fine, "`/nonexistent/qemu` (config key qemu_bin) is not installed");
        assertThatThrownBy(() -> noQemu.launch(fine)).hasMessageContaining("install the Debian package qemu-system-x86");
        assertThat(runDir("bad").resolve("console.log")).doesNotExist();

        HypervisorDriver noUser = Hypervisors.select(settings.withVmmUser("no-such-vmm-user"), runner, dir.resolve("state"));
        assertBadRequest(noUser, fine, "the VMM user `no-such-vmm-user` (config key vmm_user) does not exist on this host");
        assertThatThrownBy(() -> noUser.launch(fine)).hasMessageContaining("useradd --system").hasMessageContaining("vmm_user = \"root\"");
        assertThat(liveProcessesNaming(runDir("bad").resolve("qmp.sock"))).isEmpty();
    }

    private static void assertBadRequest(HypervisorDriver d, MachineSpec spec, String message) {
        assertThatThrownBy(() -> d.prepare(spec))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining(message);
    }

    /** A raw ext4 root: busybox and {@code /sbin/hv-test-init} running {@code script}. */
    private Path rootDisk(String name, String script) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name + "-root"));
        for (String d : List.of("bin", "sbin", "dev", "proc", "sys")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), root.resolve("bin/busybox"));
        Path init = root.resolve("sbin/hv-test-init");
        Files.writeString(init, "#!/bin/busybox sh\n/bin/busybox --install -s /bin\nmount -t sysfs sys /sys 2>/dev/null\n" + script);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk = dir.resolve(name + ".ext4");
        runner.run(Command.of("mkfs.ext4", "-q", "-F", "-d", root.toString(), disk.toString(), "32M"));
        return disk;
    }

    private static Path sparseFile(String name, long size) throws IOException {
        Path f = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        return f;
    }

    private static Path runDir(String name) {
        return dir.resolve("vms").resolve(name);
    }

    private String awaitConsole(MachineProcess p, String text) throws Exception {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (System.nanoTime() < deadline) {
            String console = Files.exists(p.consoleLog()) ? Files.readString(p.consoleLog()) : "";
            if (console.contains(text)) {
                Thread.sleep(200); // the rest of that line
                return Files.readString(p.consoleLog());
            }
            assertThat(driver.isAlive(p)).as("QEMU runs; console so far:\n" + console).isTrue();
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + text + "' on the console within " + BOOT + ":\n" + Files.readString(p.consoleLog()));
    }

    private static MachineProcess withPidAndTicks(MachineProcess p, long pid, long ticks) {
        return new MachineProcess(p.driver(), pid, ticks, p.controlSocket(), p.consoleLog(), p.accel());
    }

    /** Processes (not zombies) whose command line holds {@code socket}: QEMUs of that VM. */
    private static List<ProcEntry> liveProcessesNaming(Path socket) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.map(d -> d.getFileName().toString()).filter(n -> n.matches("\\d+"))
                    .map(n -> ProcEntry.read(Long.parseLong(n))).flatMap(Optional::stream)
                    .filter(e -> e.isLive() && e.cmdline().contains(socket.toString())).toList();
        }
    }
}
