package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.time.Duration;
import java.util.Optional;

/**
 * What every driver does with a VMM process it no longer holds a handle to (after a daemon
 * restart it is not even our child): recognise it by pid, start time and a marker on its command
 * line; wait for it; kill it without ever signalling a pid that has been reused.
 */
final class VmmProcesses {

    private static final long POLL_MILLIS = 10;
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private VmmProcesses() {
    }

    /** True while the same process (same pid and start time) runs and is not a zombie. */
    static boolean isAlive(MachineProcess p) {
        return ProcEntry.read(p.pid()).filter(e -> e.isLive() && e.startTicks() == p.startTicks()).isPresent();
    }

    /** The process's CPU time and resident memory while it is still that process; its disks unknown. */
    static Optional<MachineUsage> usage(MachineProcess p) {
        return ProcEntry.read(p.pid()).filter(e -> e.isLive() && e.startTicks() == p.startTicks())
                .map(e -> new MachineUsage(e.cpuTicks() * (1_000_000_000L / ProcEntry.TICKS_PER_SECOND),
                        ProcEntry.residentBytes(p.pid()), null, null));
    }

    /** {@code recorded} when its process still runs with {@code marker} on its command line. */
    static Optional<MachineProcess> adopt(MachineProcess recorded, String marker) {
        return ProcEntry.read(recorded.pid())
                .filter(e -> e.isLive() && e.startTicks() == recorded.startTicks() && e.cmdline().contains(marker))
                .map(e -> recorded);
    }

    static boolean awaitExit(MachineProcess p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive(p)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isAlive(p);
            }
        }
        return true;
    }

    /** SIGKILL, checked right before the signal so a reused pid is never hit, then waits until it is gone. */
    static void forceKill(MachineProcess p, String what) {
        if (isAlive(p)) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        boolean interrupted = Thread.interrupted(); // a cancel must not turn a SIGKILL still taking effect into "survived"
        boolean gone;
        try {
            gone = awaitExit(p, KILL_WAIT);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (!gone) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, what + " pid " + p.pid() + " survived SIGKILL for "
                    + KILL_WAIT.toSeconds() + " s (stuck in the kernel?)");
        }
    }

    /** SIGTERM, checked right before the signal as {@link #forceKill}. */
    static void terminate(MachineProcess p) {
        if (isAlive(p)) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroy);
        }
    }
}
