package dev.banger.daemon.vm.boot;

import dev.banger.daemon.vm.disk.WorkDisks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/** The /root disk: cloned from the image's work-seed (or empty) at the first start, grown on demand, keyed each start. */
public final class WorkDiskStep implements BootStep {

    public static final String FILE = "work.ext4";

    private final WorkDisks disks;
    private final Supplier<String> publicKey;

    public WorkDiskStep(WorkDisks disks, Supplier<String> publicKey) {
        this.disks = disks;
        this.publicKey = publicKey;
    }

    @Override
    public String name() {
        return "work disk";
    }

    @Override
    public void run(BootContext boot) throws Exception {
        Path disk = boot.vmDir().resolve(FILE);
        String seed = boot.image().workSeedPath();
        boolean existed = Files.exists(disk);
        try {
            boot.workDisk(disk, disks.ensure(disk, seed == null ? null : Path.of(seed), boot.vm().diskBytes()));
        } catch (RuntimeException e) {
            if (!existed) {
                Files.deleteIfExists(disk); // half-made: a clone or mkfs cut short
            }
            throw e;
        }
        disks.authorize(disk, publicKey.get());
    }

    @Override
    public void undo(BootContext boot) throws Exception {
        if (boot.madeNow(boot.workDisk())) {
            Files.deleteIfExists(boot.workDisk());
        }
    }
}
