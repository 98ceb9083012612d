package dev.banger.daemon.vm.boot;

import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;

/** The bridge (made on first use) and this VM's tap on it, owned by the user the VM process runs as. */
public final class NetworkStep implements BootStep {

    private final HostNetwork network;
    private final HypervisorDriver driver;

    public NetworkStep(HostNetwork network, HypervisorDriver driver) {
        this.network = network;
        this.driver = driver;
    }

    @Override
    public String name() {
        return "network";
    }

    @Override
    public void run(BootContext boot) {
        network.ensureBridge();
        boot.tap(network.createTap(boot.vm().id(), driver.unprivilegedIds()));
        if (boot.clone() != null) {
            network.setTapLink(boot.tap(), false); // up once the guest took its own address (IdentityStep)
        }
    }

    @Override
    public void undo(BootContext boot) {
        // The name is known even when createTap failed half-way.
        network.deleteTap(HostNetwork.tapName(boot.vm().id()));
    }
}
