package dev.banger.daemon.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Finds processes that still use a VM's directory (a hypervisor launched just before the daemon
 * died, before its pid reached handles.json) by their command line, and ends them.
 */
final class Orphans {

    private Orphans() {
    }

    static void kill(Path vmDir) {
        String marker = vmDir.toAbsolutePath() + "/";
        ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains(marker)).orElse(false))
                .forEach(Orphans::killAndWait);
    }

    private static void killAndWait(ProcessHandle p) {
        p.destroyForcibly();
        try {
            p.onExit().get(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // A zombie waiting for its reaper is dead enough.
        }
    }
}
