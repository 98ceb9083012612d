package dev.banger.daemon.vm.boot;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.vm.disk.RootDisks;
import dev.banger.daemon.vm.snapshot.files.CloneOrigin;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import java.nio.file.Path;

/**
 * A clone's own disks over its snapshot's, in place of {@link RootDiskStep}: the root disk a qcow2
 * overlay backed by the snapshot's root disk (~10 ms, whatever the image's size); the work disk a
 * sparse copy (a reflink where the filesystem has them), so it stays a raw file that {@code vm set
 * --disk-size} grows and any hypervisor reads. The guest's saved memory has both mounted: their
 * contents are the snapshot's byte for byte.
 */
public final class CloneDisksStep implements BootStep {

    private final RootDisks rootDisks;
    private final SnapshotFiles snapshots;

    public CloneDisksStep(RootDisks rootDisks, SnapshotFiles snapshots) {
        this.rootDisks = rootDisks;
        this.snapshots = snapshots;
    }

    @Override
    public String name() {
        return "clone disks";
    }

    @Override
    public void run(BootContext boot) {
        CloneOrigin clone = boot.clone();
        try {
            boot.rootDisk(rootDisks.overlayOf(clone.rootDisk(), boot.vmDir()), true);
            if (clone.workDisk().isPresent()) {
                Path work = clone.workDisk().get();
                snapshots.copyDisk(work, boot.vmDir());
                boot.workDisk(boot.vmDir().resolve(work.getFileName()), true);
            }
        } catch (RuntimeException e) {
            try {
                NoSpaceException.throwIfFull(e, boot.vmDir(), "making the disks of clone " + boot.vm().name());
            } finally {
                // A copy cut short is not in the context yet (the step's undo removes what is).
                clone.workDisk().ifPresent(w -> FileTrees.deleteQuietly(boot.vmDir().resolve(w.getFileName())));
            }
            throw e;
        }
    }

    @Override
    public void undo(BootContext boot) {
        if (boot.rootDisk() != null && boot.madeNow(boot.rootDisk().path())) {
            FileTrees.deleteQuietly(boot.rootDisk().path());
        }
        if (boot.workDisk() != null && boot.madeNow(boot.workDisk())) {
            FileTrees.deleteQuietly(boot.workDisk());
        }
    }
}
