package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.disk.WorkDisks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The /root disk: cloned from the image's work-seed (or made empty) at the first start, grown on
 * demand, and given banger's key at every start. It outlives stops; only a start that made it and
 * then failed removes it (deleting the VM removes its whole directory).
 */
public final class WorkDiskCapability implements Capability {

    public static final String FILE = "work.ext4";

    private final WorkDisks disks;
    private final Supplier<String> publicKey;

    public WorkDiskCapability(WorkDisks disks, Supplier<String> publicKey) {
        this.disks = disks;
        this.publicKey = publicKey;
    }

    @Override
    public String name() {
        return "work disk";
    }

    @Override
    public boolean preparesHost() {
        return true;
    }

    @Override
    public void prepareHost(BootContext boot) throws Exception {
        Path disk = boot.vmDir().resolve(FILE);
        String seed = boot.image().workSeedPath();
        boolean existed = Files.exists(disk);
        try {
            boot.workDisk(disk, disks.ensure(disk, seed == null ? null : Path.of(seed), boot.vm().diskBytes()));
        } catch (RuntimeException e) {
            try {
                NoSpaceException.throwIfFull(e, disk, "making the work disk (/root) of VM " + boot.vm().name());
            } finally {
                if (!existed) {
                    Files.deleteIfExists(disk); // half-made: a clone or mkfs cut short
                }
            }
            throw e;
        }
        if (boot.restoreFrom() == null) {
            // A restored guest has this disk mounted in its saved memory: writing under it would corrupt it. Its key is there already.
            disks.authorize(disk, publicKey.get());
        }
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) throws Exception {
        boolean madeByFailedStart = handles != null && handles.unfinishedStart() && handles.workDisk() != null
                && handles.made().contains(handles.workDisk());
        if (madeByFailedStart) {
            Files.deleteIfExists(Path.of(handles.workDisk()));
        }
    }
}
