package dev.banger.daemon.vm.hypervisor;

/**
 * What a VMM process has used so far: counters that only grow while it runs.
 *
 * @param cpuNanos        CPU time of all its threads (vCPUs included), user + system
 * @param residentBytes   its resident memory now
 * @param blockReadBytes  bytes its guest read from its disks; null when the hypervisor does not say
 * @param blockWriteBytes bytes its guest wrote to its disks; null when the hypervisor does not say
 */
public record MachineUsage(long cpuNanos, long residentBytes, Long blockReadBytes, Long blockWriteBytes) {

    MachineUsage withBlocks(long readBytes, long writeBytes) {
        return new MachineUsage(cpuNanos, residentBytes, readBytes, writeBytes);
    }
}
