package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;
import java.net.Inet4Address;

/**
 * Every VM's network guard: its tap accepts only frames with the VM's MAC and IPv4 address, and an
 * isolated VM neither reaches nor is reached by other guests. Made after the tap exists and before
 * the hypervisor starts, with the NAT forward chain's confining drops (so nothing but what a NAT
 * VM's rules accept is forwarded between the bridge and elsewhere) and, for a VM without NAT, the
 * rejection of its traffic beyond the host (so it fails at once), all in one nft batch; rebuilt on
 * adopt; removed whenever the run ends (a VM without NAT's guard and refusal in one batch).
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
        if (vm.nat()) {
            guard.remove(vm.id()); // its NAT rules are NatCapability's
        } else {
            nat.disable(vm.id(), guard.removal(vm.id())); // with the refusal of its outbound traffic, in one batch
        }
    }

    private void apply(VmInfo vm, String tap) {
        Inet4Address guest = HostNetwork.storedAddress(vm.guestIp());
        String guardRules = guard.installation(vm.id(), tap, vm.mac(), guest, vm.isolate());
        nat.confine(vm.nat() ? null : new NatRules.Refused(vm.id(), guest), guardRules); // one nft batch for both tables
    }
}
