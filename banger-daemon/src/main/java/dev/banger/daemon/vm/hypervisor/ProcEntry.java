package dev.banger.daemon.vm.hypervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One process as {@code /proc} shows it: its state letter, its start time in clock ticks since
 * boot, the CPU time it used (user + system, clock ticks) and its command line. Read fresh each
 * time: a process can end between two calls.
 */
record ProcEntry(long pid, char state, long startTicks, long cpuTicks, String cmdline) {

    /** USER_HZ: /proc reports times in these ticks, a constant of the kernel's ABI (100 on every Linux architecture we run on). */
    static final long TICKS_PER_SECOND = 100;

    private static final Path PROC = Path.of("/proc");

    /** The process with this pid, or empty when there is none. */
    static Optional<ProcEntry> read(long pid) {
        Path dir = PROC.resolve(Long.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8);
            // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            char state = rest[0].charAt(0);                // field 3
            long cpuTicks = Long.parseLong(rest[11]) + Long.parseLong(rest[12]); // fields 14 and 15: utime, stime
            long startTicks = Long.parseLong(rest[19]);    // field 22
            String cmdline = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
            return Optional.of(new ProcEntry(pid, state, startTicks, cpuTicks, cmdline));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The resident memory ({@code VmRSS} of {@code /proc/PID/status}) in bytes; 0 when the process is gone. */
    static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024; // "VmRSS:   12345 kB"
                }
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Running, sleeping or stopped: anything but a zombie or a dead entry waiting to be reaped. */
    boolean isLive() {
        return state != 'Z' && state != 'X' && state != 'x';
    }
}
