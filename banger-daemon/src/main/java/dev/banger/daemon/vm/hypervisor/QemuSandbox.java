package dev.banger.daemon.vm.hypervisor;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;

/**
 * QEMU's seccomp filter ({@code -sandbox}) as banger sets it. QEMU 7.2 installs the filter while it
 * parses its options, before {@code -daemonize} forks and calls setsid and before {@code -runas}
 * changes uid. Measured on Debian 12's QEMU 7.2 (ARCHITECTURE.md): {@code spawn=deny} kills the
 * daemonizing fork with SIGSYS; {@code elevateprivileges=deny} (or {@code children}) kills
 * {@code -runas}'s setgid with SIGSYS and, without -runas, makes the daemonized child's setsid fail
 * (exit status 1, no message). So banger denies the obsolete and resource-control calls; the rest
 * rests on the uid drop, the empty chroot and no_new_privs, which libseccomp sets with the filter.
 */
public final class QemuSandbox {

    public static final String OPTIONS = "on,obsolete=deny,resourcecontrol=deny";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

    private QemuSandbox() {
    }

    /**
     * True when {@code qemu} accepts {@code -sandbox} with banger's options: QEMU parses them and
     * exits at {@code -version}; one built without seccomp refuses the option ("-sandbox is not
     * supported by this QEMU binary").
     */
    public static boolean supported(Path qemu, CommandRunner runner) {
        try {
            return runner.runAllowingFailure(Command.of(qemu.toString(), "-sandbox", OPTIONS, "-version")
                    .withTimeout(PROBE_TIMEOUT)).ok();
        } catch (CommandFailedException e) {
            return false;
        }
    }
}
