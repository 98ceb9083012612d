package dev.banger.daemon.image.testing;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small ext4 filesystem on a loop device, mounted for a test that needs a disk that fills up
 * (needs root). Made with no blocks reserved for root, so what {@code df} shows free is what
 * the daemon (root) can write. {@link #fill} takes all but some of its space away; {@link #free}
 * gives it back.
 */
public final class SmallFilesystem implements AutoCloseable {

    private static final CommandRunner RUNNER = new CommandRunner();

    private final Path backing;
    private final Path mountPoint;

    private SmallFilesystem(Path backing, Path mountPoint) {
        this.backing = backing;
        this.mountPoint = mountPoint;
    }

    /** A {@code sizeMiB} ext4 mounted at {@code dir}/mnt, its backing file {@code dir}/fs.img. */
    public static SmallFilesystem mount(Path dir, int sizeMiB) throws IOException {
        Path backing = dir.resolve("fs.img");
        Path mountPoint = Files.createDirectories(dir.resolve("mnt"));
        RUNNER.run(Command.of("truncate", "-s", sizeMiB + "M", backing.toString()));
        RUNNER.run(Command.of("mkfs.ext4", "-q", "-F", "-m", "0", backing.toString()));
        RUNNER.run(Command.of("mount", "-o", "loop", backing.toString(), mountPoint.toString()));
        return new SmallFilesystem(backing, mountPoint);
    }

    public Path root() {
        return mountPoint;
    }

    public long freeBytes() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /** Takes all but about {@code leaveBytes} of the free space, with one preallocated file. */
    public void fill(long leaveBytes) throws IOException {
        long take = freeBytes() - leaveBytes;
        if (take > 0) {
            RUNNER.run(Command.of("fallocate", "-l", Long.toString(take), filler().toString()));
        }
    }

    /** Gives back what {@link #fill} took. */
    public void free() throws IOException {
        Files.deleteIfExists(filler());
    }

    private Path filler() {
        return mountPoint.resolve("filler");
    }

    @Override
    public void close() throws IOException {
        RUNNER.runAllowingFailure(Command.of("umount", "-l", mountPoint.toString()));
        Files.deleteIfExists(backing);
    }
}
