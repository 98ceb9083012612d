package dev.banger.daemon.vm.disk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each root disk strategy leaves the image untouched; the CoW ones cost no copy of it. */
class RootDisksTest {

    @TempDir
    Path dir;
    final CommandRunner runner = new CommandRunner();
    final RootDisks disks = new RootDisks(runner);

    @Test
    void aQcow2OverlayIsBackedByTheImageAndSmall() throws Exception {
        Path image = image(dir.resolve("rootfs.ext4"));
        String before = sha256(image);
        Path vmDir = Files.createDirectories(dir.resolve("vm"));

        RootDisk disk = disks.create(image, vmDir, true);

        assertThat(disk.strategy()).isEqualTo(RootDiskStrategy.QCOW2_OVERLAY);
        assertThat(disk.qcow2()).isTrue();
        String info = runner.run(Command.of("qemu-img", "info", disk.path().toString())).stdout();
        assertThat(info).contains("file format: qcow2", "backing file: " + image.toAbsolutePath());
        assertThat(Files.size(disk.path())).as("an overlay, not a copy").isLessThan(1 << 20);
        assertThat(disks.existing(vmDir)).contains(disk);
        assertThat(sha256(image)).isEqualTo(before);
    }

    @Test
    void withoutQcow2OnAFilesystemWithoutReflinkItIsASparseCopy() throws Exception {
        Path image = image(dir.resolve("rootfs.ext4"));
        Path vmDir = Files.createDirectories(dir.resolve("vm"));

        RootDisk disk = disks.create(image, vmDir, false);

        assertThat(disk.qcow2()).isFalse();
        assertThat(disk.path().getFileName().toString()).isEqualTo("root.ext4");
        assertThat(sha256(disk.path())).isEqualTo(sha256(image));
        if (disk.strategy() == RootDiskStrategy.SPARSE_COPY) {
            long allocated = Long.parseLong(runner.run(Command.of("stat", "-c", "%b", disk.path().toString())).stdout().strip()) * 512;
            assertThat(allocated).as("holes stay holes").isLessThan(Files.size(image));
        }
        assertThat(disks.existing(vmDir)).map(RootDisk::path).contains(disk.path());
    }

    private Path image(Path file) {
        runner.run(Command.of("mkfs.ext4", "-q", "-F", file.toString(), "64M"));
        return file;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
