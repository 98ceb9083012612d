package dev.banger.daemon.vm.machine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The teardown's last resort kills only VMM processes banger could have started, not anything naming the VM's dir. */
class OrphansTest {

    @TempDir
    Path root;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void aVmmProcessUsingTheDirIsKilled() throws Exception {
        Path vmDir = Files.createDirectories(root.resolve("vms/abc"));
        Process qemu = start(List.of(binary("qemu-system-x86_64").toString(), "-c", "read x", vmDir + "/console.log"));

        orphans().kill(vmDir);

        assertThat(qemu.waitFor(5, TimeUnit.SECONDS)).as("the orphan hypervisor is gone").isTrue();
    }

    @Test
    void aProcessThatIsNoVmmSurvivesThoughItNamesTheDir() throws Exception {
        Path vmDir = Files.createDirectories(root.resolve("vms/abc"));
        Process tail = start(List.of("/bin/sh", "-c", "read x", vmDir + "/console.log")); // a user's tail of the console log

        orphans().kill(vmDir);

        assertThat(tail.waitFor(500, TimeUnit.MILLISECONDS)).as("left alone").isFalse();
    }

    @Test
    void aVmmBinaryRunByAnotherUserSurvives() throws Exception {
        Path vmDir = Files.createDirectories(root.resolve("vms/abc"));
        Path qemu = binary("qemu-system-x86_64");
        Process other = start(List.of("setpriv", "--reuid=banger-test", "--regid=banger-test", "--clear-groups",
                qemu.toString(), "-c", "read x", vmDir + "/console.log"));
        Thread.sleep(300); // setpriv execs the binary
        assertThat(other.isAlive()).as("started as banger-test").isTrue();

        orphans().kill(vmDir);

        assertThat(other.waitFor(500, TimeUnit.MILLISECONDS)).as("another user's process is not banger's to kill").isFalse();
    }

    private Orphans orphans() {
        return new Orphans(Config.under(root.resolve("state")).vm(), new CommandRunner());
    }

    /** A copy of /bin/sh named as a VMM, readable and runnable by everyone. */
    private Path binary(String name) throws Exception {
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path copy = Files.copy(Path.of("/bin/sh"), bin.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        return copy;
    }

    private Process start(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        started.add(p);
        Thread.sleep(200);
        assertThat(p.isAlive()).as("%s runs", argv).isTrue();
        return p;
    }
}
