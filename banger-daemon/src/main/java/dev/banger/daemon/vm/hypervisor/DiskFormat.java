package dev.banger.daemon.vm.hypervisor;

/** How a disk file is laid out: a plain image or a QEMU copy-on-write overlay. */
public enum DiskFormat {
    RAW, QCOW2
}
