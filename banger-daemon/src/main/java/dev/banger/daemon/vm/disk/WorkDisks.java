package dev.banger.daemon.vm.disk;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.image.rootfs.Debugfs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * The VM's {@code /root} disk ({@code /dev/vdb}). Made once per VM and kept across stops, so what
 * the guest writes in /root survives; grown when {@code vm set --disk-size} asks for more. All
 * edits go through debugfs: the daemon never mounts a guest's filesystem.
 */
public final class WorkDisks {

    private static final Duration SLOW = Duration.ofMinutes(10);

    private final CommandRunner runner;

    public WorkDisks(CommandRunner runner) {
        this.runner = runner;
    }

    /**
     * Makes {@code disk} if it is missing: a clone of the image's work-seed grown to
     * {@code sizeBytes}, or, without a seed, an empty ext4 of that size ({@code truncate} +
     * {@code mkfs.ext4}, nothing else). Returns true when it made the disk.
     */
    public boolean ensure(Path disk, Path seed, long sizeBytes) {
        if (Files.exists(disk)) {
            grow(disk, sizeBytes);
            return false;
        }
        if (seed != null && Files.isRegularFile(seed)) {
            runner.run(Command.of("cp", "--reflink=auto", "--sparse=always", seed.toString(), disk.toString()).withTimeout(SLOW));
            FileModes.privateFile(disk); // the guest's /root: 0600 whatever the umask gave it
            grow(disk, sizeBytes);
        } else {
            runner.run(Command.of("truncate", "-s", Long.toString(sizeBytes), disk.toString()));
            FileModes.privateFile(disk);
            runner.run(Command.of("mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1",
                    disk.toString()).withTimeout(SLOW));
        }
        return true;
    }

    /** Grows the filesystem to {@code sizeBytes}; never shrinks (the guest's files would not fit). */
    public void grow(Path disk, long sizeBytes) {
        long current;
        try {
            current = Files.size(disk);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + disk + ": " + e.getMessage(), e);
        }
        if (current >= sizeBytes) {
            return;
        }
        runner.run(Command.of("truncate", "-s", Long.toString(sizeBytes), disk.toString()));
        // resize2fs insists on a freshly checked filesystem; -p repairs only what is safe to.
        var fsck = runner.runAllowingFailure(Command.of("e2fsck", "-f", "-p", disk.toString()).withTimeout(SLOW));
        if (fsck.exitCode() > 1) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "the work disk " + disk + " has errors e2fsck cannot fix on its own ("
                    + fsck.stdout().strip() + " " + fsck.stderr().strip() + "); run e2fsck -f on it by hand");
        }
        runner.run(Command.of("resize2fs", disk.toString()).withTimeout(SLOW));
    }

    /**
     * Installs banger's public key as the guest root's {@code ~/.ssh/authorized_keys} (0600 in a
     * 0700 {@code .ssh}, owned by root), replacing what was there: the work disk is /root.
     */
    public void authorize(Path disk, String publicKey) {
        Path keyFile = null;
        try {
            keyFile = Files.createTempFile(disk.toAbsolutePath().getParent(), ".authorized_keys-", "");
            Files.writeString(keyFile, publicKey.strip() + "\n", StandardCharsets.UTF_8);
            String script = """
                    mkdir .ssh
                    rm .ssh/authorized_keys
                    write %s .ssh/authorized_keys
                    set_inode_field .ssh mode 040700
                    set_inode_field .ssh uid 0
                    set_inode_field .ssh gid 0
                    set_inode_field .ssh/authorized_keys mode 0100600
                    set_inode_field .ssh/authorized_keys uid 0
                    set_inode_field .ssh/authorized_keys gid 0
                    set_inode_field <2> mode 040700
                    """.formatted(Debugfs.quote(keyFile.toString()));
            // mkdir/rm of what already is/is not there are expected on every start after the first.
            Debugfs.run(runner, disk, script, "writing /root/.ssh/authorized_keys",
                    Set.of("already exists", "File not found by ext2_lookup"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stage the SSH key for " + disk + ": " + e.getMessage(), e);
        } finally {
            if (keyFile != null) {
                try {
                    Files.deleteIfExists(keyFile);
                } catch (IOException ignored) {
                    // A stray temp file beside the disk is harmless.
                }
            }
        }
    }
}
