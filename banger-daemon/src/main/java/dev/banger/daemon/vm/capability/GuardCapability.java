package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;

/**
 * Every VM's network guard: its tap accepts only frames with the VM's MAC and IPv4 address, and an
 * isolated VM neither reaches nor is reached by other guests. Made after the tap exists and before
 * the hypervisor starts, with the NAT forward chain's confining drops (so nothing but what a NAT
 * VM's rules accept is forwarded between the bridge and elsewhere) and, for a VM without NAT, the
 * rejection of its traffic beyond the host (so it fails at once); rebuilt on adopt; removed
 * whenever the run ends.
 */
public final class GuardCapability implements Capability {

    private final GuestGuard guard;
    private final NatRules nat;

    public GuardCapability(GuestGuard guard, NatRules nat) {
        this.guard = guard;
        this.nat = nat;
    }

    @Override
    public String name() {
        return "network guard";
    }

    @Override
    public boolean preparesHost() {
        return true;
    }

    @Override
    public void prepareHost(BootContext boot) {
        apply(boot.vm(), boot.tap());
    }

    @Override
    public void adopt(VmInfo vm, VmHandles handles) {
        apply(vm, handles != null && handles.tap() != null ? handles.tap() : HostNetwork.tapName(vm.id()));
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) {
        guard.remove(vm.id());
        if (!vm.nat()) {
            nat.disable(vm.id()); // the refusal of its outbound traffic
        }
    }

    private void apply(VmInfo vm, String tap) {
        guard.apply(vm.id(), tap, vm.mac(), HostNetwork.storedAddress(vm.guestIp()), vm.isolate());
        nat.confine();
        if (!vm.nat()) {
            nat.refuseOutbound(vm.id(), HostNetwork.storedAddress(vm.guestIp()));
        }
    }
}
