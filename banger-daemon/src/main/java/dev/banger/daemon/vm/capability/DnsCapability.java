package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.dns.VmDns;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;

/**
 * {@code <name>.vm} resolves to the guest while it runs. The record is added once SSH answers, not
 * before the launch: a name then always leads to a guest that takes connections, and a start that
 * fails never publishes one. Rebuilt on adopt, since the records live in the daemon's memory.
 */
public final class DnsCapability implements Capability {

    private final VmDns dns;

    public DnsCapability(VmDns dns) {
        this.dns = dns;
    }

    @Override
    public String name() {
        return "dns name";
    }

    @Override
    public boolean actsAfterStart() {
        return true;
    }

    @Override
    public void afterStart(BootContext boot) {
        dns.put(boot.vm().name(), HostNetwork.storedAddress(boot.vm().guestIp()));
    }

    @Override
    public void adopt(VmInfo vm, VmHandles handles) {
        dns.put(vm.name(), HostNetwork.storedAddress(vm.guestIp()));
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) {
        dns.remove(vm.name(), HostNetwork.storedAddress(vm.guestIp()));
    }
}
