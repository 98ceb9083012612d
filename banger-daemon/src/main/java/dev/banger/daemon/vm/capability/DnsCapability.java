package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.dns.VmDns;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

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
    public boolean hasAfterStart() {
        return true;
    }

    @Override
    public void afterStart(BootContext boot) {
        dns.put(boot.vm().name(), guestAddress(boot.vm()));
    }

    @Override
    public void adopt(VmInfo vm, VmHandles handles) {
        dns.put(vm.name(), guestAddress(vm));
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) {
        dns.remove(vm.name(), guestAddress(vm));
    }

    private static Inet4Address guestAddress(VmInfo vm) {
        try {
            return (Inet4Address) InetAddress.getByName(vm.guestIp()); // a literal: no lookup
        } catch (UnknownHostException | ClassCastException e) {
            throw new IllegalStateException("VM " + vm.name() + " has no IPv4 guest address: " + vm.guestIp(), e);
        }
    }
}
