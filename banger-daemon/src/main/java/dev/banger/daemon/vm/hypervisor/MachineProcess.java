package dev.banger.daemon.vm.hypervisor;

import java.nio.file.Path;

/**
 * What identifies a running VM process across daemon restarts; the VM service stores it as JSON.
 * A pid alone could be reused by another process after the VM ended, so the start time in clock
 * ticks since boot ({@code /proc/PID/stat} field 22) and the control socket named on its command
 * line must match too.
 *
 * @param driver the driver that started it ("qemu")
 * @param accel  the acceleration it runs with ("kvm" or "tcg")
 */
public record MachineProcess(String driver, long pid, long startTicks, Path controlSocket, Path consoleLog, String accel) {
}
