package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VmmProcessesTest {

    @TempDir
    Path dir;

    @Test
    void aKillOnACancelledThreadWaitsForTheProcessToGoAndKeepsTheInterrupt() {
        try (BackgroundProcess vmm = new CommandRunner().start(Command.of("sleep", "60"), dir.resolve("out.log"))) {
            MachineProcess p = new MachineProcess("qemu", vmm.pid(), ProcEntry.read(vmm.pid()).orElseThrow().startTicks(), null, null, "tcg");
            Thread.currentThread().interrupt(); // the operation was cancelled
            try {
                VmmProcesses.forceKill(p, "QEMU"); // used to report "survived SIGKILL for 10 s" at once
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(VmmProcesses.isAlive(p)).isFalse();
        }
    }
}
