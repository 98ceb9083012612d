package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;

/** Picks the hypervisor driver the config asks for. */
public final class Hypervisors {

    private Hypervisors() {
    }

    /**
     * The driver for {@code settings.hypervisor()}: QEMU for {@code qemu} and {@code auto}. A missing
     * QEMU binary is reported when a VM is prepared, so the daemon starts without it.
     *
     * @param stateDir where the driver remembers what it learnt about this host (a KVM that failed)
     */
    public static HypervisorDriver select(VmSettings settings, CommandRunner runner, Path stateDir) {
        if ("firecracker".equals(settings.hypervisor())) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "hypervisor = \"firecracker\" is configured, but the "
                    + "Firecracker driver is not in this build: set hypervisor = \"qemu\" (or \"auto\") in the config");
        }
        return new QemuDriver(settings.qemuBin(), runner, AccelerationProbe.forHost(stateDir));
    }
}
