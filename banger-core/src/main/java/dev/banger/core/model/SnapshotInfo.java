package dev.banger.core.model;

import java.time.Instant;

/**
 * A live snapshot of a VM as {@code vm snapshot list} reports it: the guest's memory and device
 * state plus copies of its disks, under {@code state_dir/snapshots/<id>/}.
 *
 * @param stateBytes the memory and device state file's length; {@code memoryMib} is the guest's RAM
 * @param sizeBytes  what the snapshot's files take on disk (holes are free)
 * @param pauseMillis how long the VM's vCPUs were stopped while it was taken
 * @param vmDeleted  the VM it was taken of is deleted ({@code vmName} is the name it had): the snapshot
 *                   still makes clones ({@code vm create --from-snapshot}), but restores nothing
 */
public record SnapshotInfo(String id, String name, String vmId, String vmName, String imageId, int vcpu, int memoryMib,
                           long diskBytes, String hypervisor, String stateFormat, long stateBytes, long sizeBytes,
                           long pauseMillis, Instant createdAt, boolean vmDeleted) {
}
