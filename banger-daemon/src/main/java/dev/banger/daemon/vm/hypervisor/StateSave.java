package dev.banger.daemon.vm.hypervisor;

import java.time.Duration;

/**
 * A saved guest state: the file's length and how long the hypervisor itself kept the vCPUs stopped
 * (its final pass). The caller's own work while the guest stays stopped (copying disks) comes on top.
 */
public record StateSave(long bytes, Duration downtime) {
}
