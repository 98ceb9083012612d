package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;

/**
 * Outbound access for VMs created with {@code --nat}: the network service's NAT rules for the
 * guest's address, made before the hypervisor starts, rebuilt when a restarted daemon adopts the
 * VM (a flushed ruleset, a host reboot of the firewall), removed whenever the run ends.
 */
public final class NatCapability implements Capability {

    private final NatRules nat;

    public NatCapability(NatRules nat) {
        this.nat = nat;
    }

    @Override
    public String name() {
        return "nat";
    }

    @Override
    public boolean appliesTo(VmInfo vm) {
        return vm.nat();
    }

    @Override
    public boolean preparesHost() {
        return true;
    }

    @Override
    public void prepareHost(BootContext boot) {
        nat.enable(boot.vm().id(), HostNetwork.storedAddress(boot.vm().guestIp()));
    }

    @Override
    public void adopt(VmInfo vm, VmHandles handles) {
        nat.enable(vm.id(), HostNetwork.storedAddress(vm.guestIp()));
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) {
        nat.disable(vm.id());
    }
}
