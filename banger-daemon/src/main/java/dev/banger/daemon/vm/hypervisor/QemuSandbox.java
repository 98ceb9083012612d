package dev.banger.daemon.vm.hypervisor;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;

/**
 * QEMU's seccomp filter ({@code -sandbox}) as banger sets it. QEMU 7.2 installs the filter while it
 * parses its options, before it forks for {@code -daemonize} and before {@code -runas} changes
 * uid, so {@code spawn=deny} kills the daemonizing fork and {@code elevateprivileges=deny} (or
 * {@code children}) kills the setuid of {@code -runas}, both with SIGSYS (measured; ARCHITECTURE.md).
 * A QEMU that drops to the VMM user therefore gets obsolete and resource-control calls denied; one
 * that stays root (vmm_user = "root", or a daemon that is not root) also gets elevateprivileges=deny.
 * Either way libseccomp sets no_new_privs, so no exec can gain privileges.
 */
public final class QemuSandbox {

    /** The filter of a QEMU that changes to the VMM user with -runas. */
    public static final String DROPPING = "on,obsolete=deny,resourcecontrol=deny";
    /** The filter of a QEMU that keeps its uid. */
    public static final String KEEPING_UID = DROPPING + ",elevateprivileges=deny";
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
            return runner.runAllowingFailure(Command.of(qemu.toString(), "-sandbox", KEEPING_UID, "-version")
                    .withTimeout(PROBE_TIMEOUT)).ok();
        } catch (CommandFailedException e) {
            return false;
        }
    }
}
