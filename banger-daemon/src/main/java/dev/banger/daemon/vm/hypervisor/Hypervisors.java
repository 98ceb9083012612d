package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.config.VmSettings;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.nio.file.Path;
import java.time.Duration;

/** Picks the hypervisor driver the config asks for. */
public final class Hypervisors {

    /** How long a started Firecracker may take to answer on its API socket (it binds within milliseconds). */
    private static final Duration FIRECRACKER_SOCKET_TIMEOUT = Duration.ofSeconds(10);

    private Hypervisors() {
    }

    /**
     * The driver for {@code settings.hypervisor()}: {@code qemu}, {@code firecracker}, or for
     * {@code auto} Firecracker when its binary is installed and KVM really runs guests here, else
     * QEMU. A missing binary is reported when a VM is prepared, so the daemon starts without it.
     *
     * @param stateDir where the driver remembers what it learnt about this host (a KVM that failed)
     */
    public static HypervisorDriver select(VmSettings settings, CommandRunner runner, Path stateDir) {
        AccelerationProbe probe = AccelerationProbe.forHost(stateDir);
        ConsoleLogCap consoleCap = new ConsoleLogCap();
        HypervisorDriver firecracker = new FirecrackerDriver(settings.firecracker(), runner, probe, FIRECRACKER_SOCKET_TIMEOUT,
                settings.vmmUser(), consoleCap);
        HypervisorDriver qemu = new QemuDriver(settings.qemuBin(), runner, probe, settings.vmmUser(), consoleCap);
        return switch (settings.hypervisor()) {
            case "firecracker" -> firecracker;
            case "auto" -> HostPrograms.locate(settings.firecracker().firecrackerBin()).isPresent() && firecracker.acceleration().isKvm()
                    ? firecracker : qemu;
            default -> qemu;
        };
    }
}
