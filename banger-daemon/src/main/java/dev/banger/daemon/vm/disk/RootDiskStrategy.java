package dev.banger.daemon.vm.disk;

/** How a VM's root disk shares blocks with its image, best first. */
public enum RootDiskStrategy {
    /** A qcow2 file backed by the raw image: ~10 ms, a few hundred KiB. QEMU only. */
    QCOW2_OVERLAY("root.qcow2"),
    /** A reflink clone (XFS, btrfs): instant and raw, so Firecracker can take it too. */
    REFLINK_CLONE("root.ext4"),
    /** A sparse full copy: time proportional to the image; the last resort. */
    SPARSE_COPY("root.ext4");

    private final String fileName;

    RootDiskStrategy(String fileName) {
        this.fileName = fileName;
    }

    public String fileName() {
        return fileName;
    }
}
