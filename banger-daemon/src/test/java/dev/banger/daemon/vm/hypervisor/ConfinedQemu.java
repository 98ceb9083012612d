package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.VmSettings;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/** What the driver and VM tests check of a QEMU that root's bangerd started. */
public final class ConfinedQemu {

    private ConfinedQemu() {
    }

    /**
     * The running QEMU as /proc shows it: real and effective uid and gid the VMM user's, its root the
     * VM's empty chroot, no capabilities, no_new_privs and a seccomp filter, {@code -sandbox on} on its command line.
     */
    public static void assertConfined(long pid, Path runDir) throws IOException {
        String[] vmm = new CommandRunner().run(Command.of("getent", "passwd", VmSettings.DEFAULT_VMM_USER)).stdout().strip().split(":");
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        assertThat(status).as("QEMU's /proc status")
                .anySatisfy(l -> assertThat(l.split("\\s+")).containsExactly("Uid:", vmm[2], vmm[2], vmm[2], vmm[2]))
                .anySatisfy(l -> assertThat(l.split("\\s+")).containsExactly("Gid:", vmm[3], vmm[3], vmm[3], vmm[3]))
                .contains("CapEff:\t0000000000000000", "CapPrm:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2");
        Path chroot = runDir.toAbsolutePath().resolve("chroot");
        assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "root"))).isEqualTo(chroot);
        try (Stream<Path> entries = Files.list(chroot)) {
            assertThat(entries).as("what an escaped QEMU sees of the host").isEmpty();
        }
        assertThat(Files.getOwner(chroot).getName()).isEqualTo("root");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(chroot))).isEqualTo("r-xr-xr-x");
        String cmdline = ProcEntry.read(pid).orElseThrow().cmdline();
        assertThat(cmdline).contains("-sandbox on,obsolete=deny,resourcecontrol=deny", "-runas banger-vmm", "-chroot " + chroot);
    }
}
