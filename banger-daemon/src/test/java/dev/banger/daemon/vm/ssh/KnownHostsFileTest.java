package dev.banger.daemon.vm.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.fs.FileModes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class KnownHostsFileTest {

    private static final String KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIJfQLNCl7g6ddM/zUMmNw09jKoYMHrr/VphfG6LAjS3t";

    @TempDir
    Path dir;

    @Test
    void pinsFromManyThreadsAtOnceAreAllKept() throws Exception {
        // Several VMs boot at once; a lost update would drop one guest's key.
        Path file = Files.createFile(dir.resolve("known_hosts"));
        List<Future<?>> pins = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 80; i++) {
                String host = "172.16.0." + (i + 2);
                pins.add(pool.submit(() -> new KnownHostsFile(file).pin(List.of(host), "ssh-ed25519", KEY)));
            }
            for (Future<?> f : pins) {
                f.get();
            }
        }

        assertThat(Files.readAllLines(file)).hasSize(80).contains("172.16.0.2 ssh-ed25519 " + KEY, "172.16.0.81 ssh-ed25519 " + KEY);
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").containsExactly(file);
        }
    }

    @Test
    void pinningANameAgainReplacesItsOldKey() throws Exception {
        Path file = dir.resolve("known_hosts");
        Files.writeString(file, "172.16.0.2,dev.vm ssh-ed25519 OLD\n");

        new KnownHostsFile(file).pin(List.of("dev.vm"), "ssh-ed25519", KEY);

        assertThat(Files.readAllLines(file)).containsExactly("172.16.0.2 ssh-ed25519 OLD", "dev.vm ssh-ed25519 " + KEY);
    }

    @Test
    void aRewrittenFileIsReadableByGroupBangerOnly() throws Exception {
        Path file = dir.resolve("known_hosts");
        Files.writeString(file, "");

        new KnownHostsFile(file).pin(List.of("dev.vm"), "ssh-ed25519", KEY);

        var group = FileModes.bangerGroup();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as("members' ssh reads it; others do not")
                .isEqualTo(group.isPresent() ? "rw-r-----" : "rw-------");
        if (group.isPresent()) {
            assertThat(Files.readAttributes(file, PosixFileAttributes.class).group()).isEqualTo(group.get());
        }
    }
}
