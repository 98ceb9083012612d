package dev.banger.daemon.vm.snapshot.files;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a clone ({@code vm create --from-snapshot}) starts from: a snapshot whose files were
 * verified complete and loadable here, and its manifest (the machine's size and image).
 */
public record CloneOrigin(String snapshotId, String snapshotName, Path dir, SnapshotFiles.Manifest manifest) {

    /** The saved memory and device state the clone goes on from. */
    public Path state() {
        return SnapshotFiles.stateFile(dir);
    }

    /** The snapshot's root disk (a qcow2 overlay of the image): the clone's own overlay is backed by it. */
    public Path rootDisk() {
        return dir.resolve(manifest.disks().getFirst());
    }

    /** The snapshot's work disk, copied for the clone; empty for a VM that had none. */
    public Optional<Path> workDisk() {
        return manifest.disks().size() > 1 ? Optional.of(dir.resolve(manifest.disks().get(1))) : Optional.empty();
    }
}
