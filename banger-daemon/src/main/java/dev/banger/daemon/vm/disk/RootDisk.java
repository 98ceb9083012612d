package dev.banger.daemon.vm.disk;

import java.nio.file.Path;

/** A VM's own root disk over its image's rootfs, and how it was made. */
public record RootDisk(Path path, RootDiskStrategy strategy) {

    /** True when the hypervisor must open it as qcow2 rather than raw. */
    public boolean qcow2() {
        return strategy == RootDiskStrategy.QCOW2_OVERLAY;
    }
}
