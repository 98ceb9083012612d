package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console log cap against a stand-in guest that floods its console: 4 MB/s appended
 * (O_APPEND, as QEMU's chardev and Firecracker's stdout write), ten times what a TCG guest's UART
 * gets through here (~430 KB/s measured), which is the slack docs/privileges.md states.
 */
class ConsoleLogCapTest {

    private static final long CAP = 1 << 20;
    /** What 4 MB/s writes in one watch period, rounded up. */
    private static final long SLACK = 1 << 20;
    private static final byte[] LINE = "the guest floods its serial console\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void aFloodedConsoleLogNeverPassesTheCapPlusSlackIsRotatedOnceAndTheCapEndsWithTheVmm() throws Exception {
        Path console = Files.createFile(dir.resolve("console.log")); // as the VMM opens it before the guest runs
        Path rotated = dir.resolve("console.log.1");
        ConsoleLogCap cap = new ConsoleLogCap(CAP);
        CommandRunner runner = new CommandRunner();
        BackgroundProcess vmm = runner.start(Command.of("sleep", "30"), dir.resolve("vmm.out"));
        AtomicLong written = new AtomicLong();
        try {
            cap.watch(new MachineProcess("qemu", vmm.pid(), ProcEntry.read(vmm.pid()).orElseThrow().startTicks(),
                    dir.resolve("qmp.sock"), console, "tcg"));
            Thread guest = Thread.ofPlatform().start(() -> flood(console, Duration.ofSeconds(3), written));
            long largest = 0;
            while (guest.isAlive()) {
                largest = Math.max(largest, Files.size(console));
                Thread.sleep(2);
            }
            assertThat(written.get()).as("the stand-in wrote well past the cap").isGreaterThan(8 * CAP);
            assertThat(largest).as("console.log's largest size seen").isLessThanOrEqualTo(CAP + SLACK);
            assertThat(Files.size(rotated)).as("console.log.1").isLessThanOrEqualTo(CAP + SLACK).isGreaterThan(CAP);
            assertThat(Files.readString(rotated)).as("whole lines of the guest").contains(new String(LINE, StandardCharsets.UTF_8));
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).as("one rotation kept, never a .2")
                        .containsExactlyInAnyOrder("console.log", "console.log.1", "vmm.out");
            }
        } finally {
            vmm.stop(Duration.ofSeconds(2));
        }

        // The VMM has ended: the watcher lets go, and a log growing now is not cut any more.
        Thread.sleep(3 * ConsoleLogCap.PERIOD.toMillis());
        Files.write(console, new byte[(int) (2 * CAP)], StandardOpenOption.APPEND);
        Thread.sleep(3 * ConsoleLogCap.PERIOD.toMillis());
        assertThat(Files.size(console)).isGreaterThan(2 * CAP);
    }

    /** Appends at 4 MB/s: 40 KB every 10 ms. */
    private static void flood(Path console, Duration duration, AtomicLong written) {
        byte[] chunk = new byte[LINE.length * 1100];
        for (int i = 0; i < 1100; i++) {
            System.arraycopy(LINE, 0, chunk, i * LINE.length, LINE.length);
        }
        long end = System.nanoTime() + duration.toNanos();
        try (OutputStream out = Files.newOutputStream(console, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            while (System.nanoTime() < end) {
                out.write(chunk);
                written.addAndGet(chunk.length);
                Thread.sleep(10);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
