package dev.banger.daemon.vm.boot;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.SshNotReadyException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waits for the guest's SSH server to accept banger's key (a clone's: to send its banner). Gives up early when the hypervisor
 * process dies; either way the error quotes the console's last lines and what they suggest.
 */
public final class ReadinessStep implements BootStep {

    public static final int SSH_PORT = 22;

    private final GuestSsh ssh;
    private final HypervisorDriver driver;
    private final Duration timeout;

    public ReadinessStep(GuestSsh ssh, HypervisorDriver driver, Duration timeout) {
        this.ssh = ssh;
        this.driver = driver;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "wait for ssh";
    }

    @Override
    public void run(BootContext boot) {
        String ip = boot.vm().guestIp();
        List<String> aliases = List.of(boot.vm().name() + ".vm");
        if (boot.madeNow(boot.rootDisk().path()) && boot.clone() == null) {
            // A fresh root disk means fresh host keys; a deleted VM may have had this address. (A clone's
            // key was pinned from its identity port already.)
            ssh.forget(List.of(ip, aliases.getFirst()));
        }
        Supplier<Optional<String>> abort = () -> driver.isAlive(boot.machine())
                ? Optional.empty() : Optional.of("the VM's hypervisor process exited");
        try {
            if (boot.clone() != null) {
                // The clone's host key is pinned from its identity answer and root's keys are the template's,
                // which passed the full check: a banner at the new address is the rest (a handshake costs ~0.6 s under TCG).
                ssh.awaitBanner(ip, SSH_PORT, timeout, abort);
            } else {
                ssh.awaitReady(ip, SSH_PORT, aliases, timeout, abort);
            }
        } catch (SshNotReadyException e) {
            ConsoleTail console = ConsoleTail.read(boot.machine().consoleLog(), 15);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "VM " + boot.vm().name() + " did not answer SSH on " + ip
                    + ": " + e.getMessage() + console.diagnosis() + "\nlast console lines (banger vm logs " + boot.vm().name()
                    + " shows all):\n" + console.text());
        }
    }
}
