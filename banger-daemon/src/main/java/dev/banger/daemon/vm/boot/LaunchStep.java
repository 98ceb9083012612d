package dev.banger.daemon.vm.boot;

import dev.banger.core.model.KernelInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.network.GuestNet;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.hypervisor.DiskFormat;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.hypervisor.MachineSpec;
import java.nio.file.Path;

/** Starts the hypervisor process on the disks and tap the earlier steps made. */
public final class LaunchStep implements BootStep {

    /** The guest init banger injects into every image; see banger-init. */
    static final String GUEST_INIT = "/usr/local/sbin/banger-init";

    private final HypervisorDriver driver;
    private final HostNetwork network;

    public LaunchStep(HypervisorDriver driver, HostNetwork network) {
        this.driver = driver;
        this.network = network;
    }

    @Override
    public String name() {
        return "launch";
    }

    @Override
    public void run(BootContext boot) throws Exception {
        VmInfo vm = boot.vm();
        MachineSpec spec = new MachineSpec(vm.id(), vm.name(), vm.vcpu(), vm.memoryMib(), kernelFile(boot.kernel()),
                boot.kernel().initrdPath() == null ? null : Path.of(boot.kernel().initrdPath()), kernelArgs(vm),
                boot.rootDisk().path(), boot.rootDisk().qcow2() ? DiskFormat.QCOW2 : DiskFormat.RAW, boot.workDisk(),
                boot.tap(), vm.mac(), boot.vmDir(), boot.restoreFrom());
        driver.prepare(spec);
        boot.machine(driver.launch(spec));
    }

    /** The kernel file the driver boots: the compressed vmlinuz, or the ELF vmlinux a Firecracker needs. */
    private Path kernelFile(KernelInfo kernel) {
        if (!driver.bootsElfKernel()) {
            return Path.of(kernel.vmlinuzPath());
        }
        if (kernel.vmlinuxPath() == null) {
            throw BangerException.badRequest("kernel " + kernel.name() + " has no uncompressed vmlinux, which " + driver.name()
                    + " boots (none could be extracted from its vmlinuz): use a kernel with one, or hypervisor = \"qemu\"");
        }
        return Path.of(kernel.vmlinuxPath());
    }

    /**
     * Guest network and hostname travel on the kernel command line; banger-init applies them. The
     * resolver is bangerd's server on the gateway (unless dns_listen is off): it answers at once,
     * for a guest without NAT too, where the host's resolver would be unreachable.
     */
    String kernelArgs(VmInfo vm) {
        GuestNet net = network.guestNet(HostNetwork.storedAddress(vm.guestIp()));
        return "init=" + GUEST_INIT + " banger.ip=" + net.cidrAddress() + " banger.gw=" + net.gateway().getHostAddress()
                + " banger.hostname=" + vm.name() + (network.dns().isPresent() ? " banger.dns=" + net.gateway().getHostAddress() : "");
    }

    @Override
    public void undo(BootContext boot) {
        if (boot.machine() != null) {
            driver.kill(boot.machine());
        }
    }
}
