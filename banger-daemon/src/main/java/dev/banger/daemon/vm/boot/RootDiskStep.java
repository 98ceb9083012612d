package dev.banger.daemon.vm.boot;

import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.vm.disk.RootDisks;
import java.nio.file.Files;
import java.nio.file.Path;

/** The copy-on-write root disk: made at the first start, reused after, so the guest's changes persist. */
public final class RootDiskStep implements BootStep {

    private final RootDisks disks;
    private final boolean hypervisorReadsQcow2;

    public RootDiskStep(RootDisks disks, boolean hypervisorReadsQcow2) {
        this.disks = disks;
        this.hypervisorReadsQcow2 = hypervisorReadsQcow2;
    }

    @Override
    public String name() {
        return "root disk";
    }

    @Override
    public void run(BootContext boot) {
        var existing = disks.existing(boot.vmDir());
        if (existing.isPresent()) {
            boot.rootDisk(existing.get(), false);
            return;
        }
        try {
            boot.rootDisk(disks.create(Path.of(boot.image().rootfsPath()), boot.vmDir(), hypervisorReadsQcow2), true);
        } catch (RuntimeException e) {
            try {
                NoSpaceException.throwIfFull(e, boot.vmDir(), "making the root disk of VM " + boot.vm().name());
            } finally {
                disks.existing(boot.vmDir()).ifPresent(half -> deleteQuietly(half.path())); // a copy cut short
            }
            throw e;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException ignored) {
            // The failure being reported matters more; the VM dir goes with the VM.
        }
    }

    @Override
    public void undo(BootContext boot) throws Exception {
        if (boot.rootDisk() != null && boot.madeNow(boot.rootDisk().path())) {
            Files.deleteIfExists(boot.rootDisk().path());
        }
    }
}
