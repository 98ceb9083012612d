package dev.banger.daemon.vm.boot;

import dev.banger.daemon.network.HostNetwork;

/** The bridge (made on first use) and this VM's tap on it. */
public final class NetworkStep implements BootStep {

    private final HostNetwork network;

    public NetworkStep(HostNetwork network) {
        this.network = network;
    }

    @Override
    public String name() {
        return "network";
    }

    @Override
    public void run(BootContext boot) {
        network.ensureBridge();
        boot.tap(network.createTap(boot.vm().id()));
    }

    @Override
    public void undo(BootContext boot) {
        // The name is known even when createTap failed half-way.
        network.deleteTap(HostNetwork.tapName(boot.vm().id()));
    }
}
