package dev.banger.daemon.vm.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The /root disk as the guest will see it, checked with the real e2fsprogs (never mounted). */
class WorkDisksTest {

    private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfQLNCl7g6ddM/zUMmNw09jKoYMHrr/VphfG6LAjS3t banger";

    @TempDir
    Path dir;
    final CommandRunner runner = new CommandRunner();
    final WorkDisks disks = new WorkDisks(runner);

    @Test
    void withoutASeedTheDiskIsAnEmptyExt4OfTheAskedSizeWithOnlyTheKey() throws Exception {
        Path disk = dir.resolve("work.ext4");

        assertThat(disks.ensure(disk, null, 256L << 20)).isTrue();
        disks.authorize(disk, KEY);

        assertThat(Files.size(disk)).isEqualTo(256L << 20);
        assertThat(debugfs(disk, "cat /.ssh/authorized_keys")).isEqualTo(KEY + "\n");
        assertThat(debugfs(disk, "stat /.ssh")).contains("Mode:  0700", "User:     0", "Group:     0");
        assertThat(debugfs(disk, "stat /.ssh/authorized_keys")).contains("Mode:  0600");
        assertThat(runner.runAllowingFailure(Command.of("e2fsck", "-fn", disk.toString())).exitCode()).isZero();
    }

    @Test
    void aSeedIsClonedAndGrownAndAStartAfterTheFirstKeepsTheGuestsFiles() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("seed-tree"));
        Files.writeString(tree.resolve(".bashrc"), "export PS1='seed> '\n");
        Path seed = dir.resolve("work-seed.ext4");
        runner.run(Command.of("mkfs.ext4", "-q", "-F", "-d", tree.toString(), seed.toString(), "64M"));
        Path disk = dir.resolve("work.ext4");

        assertThat(disks.ensure(disk, seed, 512L << 20)).isTrue();
        disks.authorize(disk, KEY);
        assertThat(Files.size(disk)).isEqualTo(512L << 20);
        assertThat(filesystemBytes(disk)).as("the filesystem fills the grown disk").isEqualTo(512L << 20);
        assertThat(debugfs(disk, "cat /.bashrc")).contains("seed> ");
        assertThat(Files.size(seed)).as("the image's seed is never written").isEqualTo(64L << 20);

        assertThat(disks.ensure(disk, seed, 512L << 20)).as("the second start reuses the disk").isFalse();
        disks.authorize(disk, KEY + " again");
        assertThat(debugfs(disk, "cat /.ssh/authorized_keys")).as("the key is replaced, not appended").isEqualTo(KEY + " again\n");
        assertThat(debugfs(disk, "cat /.bashrc")).contains("seed> ");
    }

    @Test
    void growingKeepsTheFilesAndShrinkingIsNotDone() throws Exception {
        Path disk = dir.resolve("work.ext4");
        disks.ensure(disk, null, 128L << 20);
        disks.authorize(disk, KEY);

        disks.grow(disk, 384L << 20);
        assertThat(Files.size(disk)).isEqualTo(384L << 20);
        assertThat(debugfs(disk, "cat /.ssh/authorized_keys")).isEqualTo(KEY + "\n");
        disks.grow(disk, 64L << 20);
        assertThat(Files.size(disk)).isEqualTo(384L << 20);
    }

    @Test
    void aDiskThatIsNotExt4FailsNamingTheStep() throws Exception {
        Path disk = Files.write(dir.resolve("work.ext4"), new byte[1 << 20]);
        assertThatThrownBy(() -> disks.authorize(disk, KEY)).hasMessageContaining("work.ext4");
    }

    private long filesystemBytes(Path disk) {
        String stats = debugfs(disk, "stats");
        return field(stats, "Block count:") * field(stats, "Block size:");
    }

    private static long field(String stats, String name) {
        return stats.lines().filter(l -> l.startsWith(name)).mapToLong(l -> Long.parseLong(l.substring(name.length()).strip()))
                .findFirst().orElseThrow();
    }

    private String debugfs(Path disk, String request) {
        return runner.run(Command.of("debugfs", "-R", request, disk.toString())).stdout();
    }
}
