package dev.banger.daemon.vm.disk;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Makes a VM's copy-on-write root disk over its image's read-only {@code rootfs.ext4}. The
 * image file is never written: every strategy leaves it byte-for-byte as pulled. The disk is
 * made 0600 whatever mode the tool gave it (the daemon's umask is not ours to rely on).
 */
public final class RootDisks {

    private final CommandRunner runner;

    public RootDisks(CommandRunner runner) {
        this.runner = runner;
    }

    /** The root disk a previous start of this VM left in {@code vmDir}, if any (it keeps the guest's changes). */
    public Optional<RootDisk> existing(Path vmDir) {
        for (RootDiskStrategy s : RootDiskStrategy.values()) {
            Path p = vmDir.resolve(s.fileName());
            if (Files.exists(p)) {
                return Optional.of(new RootDisk(p, s == RootDiskStrategy.QCOW2_OVERLAY ? s : RootDiskStrategy.REFLINK_CLONE));
            }
        }
        return Optional.empty();
    }

    /**
     * A clone's root disk in {@code vmDir}: a qcow2 overlay backed by a snapshot's qcow2 root disk
     * (itself an overlay of the image), which is never written either.
     */
    public RootDisk overlayOf(Path qcow2, Path vmDir) {
        Path overlay = vmDir.resolve(RootDiskStrategy.QCOW2_OVERLAY.fileName());
        runner.run(Command.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", qcow2.toAbsolutePath().toString(),
                overlay.toString()));
        return new RootDisk(FileModes.privateFile(overlay), RootDiskStrategy.QCOW2_OVERLAY);
    }

    /**
     * Creates the root disk in {@code vmDir}: a qcow2 overlay when the hypervisor reads qcow2,
     * else a reflink clone, else a sparse copy (the only strategy whose cost grows with the image).
     */
    public RootDisk create(Path image, Path vmDir, boolean hypervisorReadsQcow2) {
        if (hypervisorReadsQcow2) {
            Path overlay = vmDir.resolve(RootDiskStrategy.QCOW2_OVERLAY.fileName());
            runner.run(Command.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", image.toAbsolutePath().toString(),
                    overlay.toString()));
            return new RootDisk(FileModes.privateFile(overlay), RootDiskStrategy.QCOW2_OVERLAY);
        }
        Path raw = vmDir.resolve(RootDiskStrategy.REFLINK_CLONE.fileName());
        try {
            runner.run(Command.of("cp", "--reflink=always", image.toString(), raw.toString()));
            return new RootDisk(FileModes.privateFile(raw), RootDiskStrategy.REFLINK_CLONE);
        } catch (CommandFailedException noReflink) {
            runner.run(Command.of("cp", "--sparse=always", image.toString(), raw.toString()).withTimeout(Duration.ofMinutes(30)));
            return new RootDisk(FileModes.privateFile(raw), RootDiskStrategy.SPARSE_COPY);
        }
    }
}
