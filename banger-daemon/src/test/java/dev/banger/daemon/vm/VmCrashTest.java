package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestGuestImages;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.vm.boot.HandlesFile;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bangerd killed with SIGKILL in the middle of a create, while its QEMU is booting: the next
 * daemon start must find and end that QEMU, free the tap, remove the half-made VM's files and
 * mark it {@code error}, and the VM must then start normally.
 */
class VmCrashTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** A state dir under {@code root} with Debian's cloud kernel and the busybox image {@code bb}. */
    private Path prepared(String root) {
        TestKernelDeb.requireTools();
        TestKernelDeb.require();
        Path state = dir.resolve(root);
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             VmRig prepared = new VmRig(state, BOOT_TIMEOUT)) {
            prepared.importKernel();
            prepared.pull(registry, "bb", TestGuestImages.busyboxImage());
        }
        return state;
    }

    @Test
    void aClientThatHangsUpWhileTheGuestBootsLeavesNoVmNoTapNoQemuNoDisk() throws Exception {
        Path root = prepared("h");
        Path vmsDir = root.resolve("state/vms");
        Path log = root.resolve("bangerd.log");
        try (BackgroundProcess daemon = startDaemon(root, log)) {
            try (SocketChannel client = connect(root.resolve("run/bangerd.sock"), daemon, log)) {
                send(client, "{\"jsonrpc\":\"2.0\",\"id\":1,\"protocol\":1,\"method\":\"vm.create\",\"params\":"
                        + "{\"name\":\"cx\",\"image\":\"bb\",\"vcpu\":1,\"memory\":\"256\",\"disk_size\":\"256M\"}}");
                waitFor(() -> launched(vmsDir) || !daemon.isAlive(), Duration.ofSeconds(60), "QEMU of VM cx to start", log);
            } // as `timeout 6 banger vm create` does: the client hangs up while the guest boots
            waitFor(() -> !launched(vmsDir) && VmRig.hypervisorProcesses(vmsDir).isEmpty(), Duration.ofSeconds(90),
                    "the cancelled create's undo", log);
            String taps = new CommandRunner().run("ip", "-o", "link", "show").stdout();
            assertThat(taps).as("links after the undo").doesNotContain("tap-fc-");
            assertThat(Files.readString(log)).as("bangerd's log").doesNotContain("was cancelled").doesNotContain("undo of step");
        }
        try (VmRig rig = new VmRig(root, BOOT_TIMEOUT)) {
            assertThat(rig.vms.list()).as("a cancelled create leaves no VM: the same create works again").isEmpty();
            assertThat(vmsDir.toFile().list()).as("VM dirs").isEmpty();
        }
    }

    @Test
    void aDaemonKilledMidCreateLeavesNothingBehindAfterTheNextStart() throws Exception {
        Path root = prepared("b");
        Path vmsDir = root.resolve("state/vms");
        Path log = root.resolve("bangerd.log");

        try (BackgroundProcess daemon = startDaemon(root, log);
             SocketChannel client = connect(root.resolve("run/bangerd.sock"), daemon, log)) {
            // The connection stays open until the kill: a client that hangs up cancels its create.
            send(client, "{\"jsonrpc\":\"2.0\",\"id\":1,\"protocol\":1,\"method\":\"vm.create\",\"params\":"
                    + "{\"name\":\"crash\",\"image\":\"bb\",\"vcpu\":1,\"memory\":\"256\",\"disk_size\":\"256M\"}}");
            // Killed once QEMU runs and handles.json names it: the guest is booting, the create waits for SSH.
            waitFor(() -> launched(vmsDir) || !daemon.isAlive(), Duration.ofSeconds(60), "QEMU of VM crash to start", log);
            assertThat(daemon.isAlive()).as("bangerd, until the test kills it; its log: %s", tail(log)).isTrue();
            ProcessHandle.of(daemon.pid()).ifPresent(ProcessHandle::destroyForcibly);
            ProcessHandle.of(daemon.pid()).ifPresent(p -> p.onExit().join());
        }
        List<ProcessHandle> orphans = VmRig.hypervisorProcesses(vmsDir);
        assertThat(orphans).as("QEMU outlives its daemon (else this test proves nothing); bangerd's log:%n%s", tail(log)).hasSize(1);

        try (VmRig rig = new VmRig(root, BOOT_TIMEOUT)) {
            assertThat(rig.taps()).as("the tap the dead daemon made").hasSize(1);
            rig.restart();

            assertThat(rig.taps()).as("taps after the next start").isEmpty();
            assertThat(rig.hypervisorProcesses()).as("QEMU processes after the next start").isEmpty();
            VmInfo vm = rig.vms.show("crash");
            assertThat(vm.state()).isEqualTo(VmInfo.ERROR);
            assertThat(vm.lastError()).contains("bangerd stopped while this VM was starting");
            assertThat(vmsDir.resolve(vm.id())).as("the half-made VM's dir").doesNotExist();

            VmInfo started = rig.vms.start("crash", rig.ctx("vm.start"));
            assertThat(started.state()).isEqualTo(VmInfo.RUNNING);
            assertThat(rig.ssh(started, "hostname", Duration.ofSeconds(30)).stdout().strip()).isEqualTo("crash");
            rig.vms.delete("crash", rig.ctx("vm.delete"));
            assertThat(vmsDir.resolve(vm.id())).doesNotExist();
            assertThat(rig.taps()).isEmpty();
            assertThat(rig.hypervisorProcesses()).isEmpty();
        }
    }

    /** True once a VM's handles.json records its hypervisor process. */
    private static boolean launched(Path vmsDir) {
        try (var dirs = Files.list(vmsDir)) {
            return dirs.anyMatch(d -> HandlesFile.read(d).map(h -> h.machine() != null).orElse(false));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // not made yet, or caught mid-rename
        }
    }

    /** bangerd as its own JVM on this test's classpath, its state under {@code root}. */
    private static BackgroundProcess startDaemon(Path root, Path log) throws IOException {
        Path config = root.resolve("bangerd.toml");
        Files.writeString(config, """
                state_dir = "%1$s/state"
                cache_dir = "%1$s/cache"
                runtime_dir = "%1$s/run"
                boot_timeout = "%2$ds"
                """.formatted(root, BOOT_TIMEOUT.toSeconds()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new CommandRunner().start(Command.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.banger.daemon.Bangerd", "--config", config.toString()), log);
    }

    private static SocketChannel connect(Path socket, BackgroundProcess daemon, Path log) {
        waitFor(() -> Files.exists(socket) || !daemon.isAlive(), Duration.ofSeconds(60), "bangerd's socket " + socket, log);
        try {
            return SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new AssertionError("cannot connect to " + socket + ": " + e + "\nbangerd's log:\n" + tail(log), e);
        }
    }

    private static void send(SocketChannel client, String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            client.write(bytes);
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what, Path log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + "\nbangerd's log:\n" + tail(log));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }
}
