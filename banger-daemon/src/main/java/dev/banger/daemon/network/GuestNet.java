package dev.banger.daemon.network;

import java.net.Inet4Address;

/**
 * A guest's side of the bridge network: what its init configures on eth0.
 *
 * @param address the guest's address
 * @param prefix  the subnet's prefix length
 * @param gateway the bridge's address
 */
public record GuestNet(Inet4Address address, int prefix, Inet4Address gateway) {

    /** The address with its prefix, as {@code ip addr add} takes it: {@code 172.16.0.2/24}. */
    public String cidrAddress() {
        return address.getHostAddress() + "/" + prefix;
    }
}
