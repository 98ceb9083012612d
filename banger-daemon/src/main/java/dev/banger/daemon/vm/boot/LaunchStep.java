package dev.banger.daemon.vm.boot;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.GuestNet;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.hypervisor.DiskFormat;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.hypervisor.MachineSpec;
import java.net.Inet4Address;
import java.net.InetAddress;
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
        MachineSpec spec = new MachineSpec(vm.id(), vm.name(), vm.vcpu(), vm.memoryMib(), Path.of(boot.kernel().vmlinuzPath()),
                boot.kernel().initrdPath() == null ? null : Path.of(boot.kernel().initrdPath()), kernelArgs(vm),
                boot.rootDisk().path(), boot.rootDisk().qcow2() ? DiskFormat.QCOW2 : DiskFormat.RAW, boot.workDisk(),
                boot.tap(), vm.mac(), boot.vmDir());
        driver.prepare(spec);
        boot.machine(driver.launch(spec));
    }

    /** Guest network and hostname travel on the kernel command line; banger-init applies them. */
    String kernelArgs(VmInfo vm) throws Exception {
        GuestNet net = network.guestNet((Inet4Address) InetAddress.getByName(vm.guestIp()));
        return "init=" + GUEST_INIT + " banger.ip=" + net.cidrAddress() + " banger.gw=" + net.gateway().getHostAddress()
                + " banger.hostname=" + vm.name();
    }

    @Override
    public void undo(BootContext boot) {
        if (boot.machine() != null) {
            driver.kill(boot.machine());
        }
    }
}
