package dev.banger.daemon.network;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Set;

/** The bridge's IPv4 subnet, and which guest address to hand out next. */
record Subnet(Inet4Address bridge, int prefix) {

    /**
     * The lowest free address after the bridge's own, wrapping round to the start of the subnet;
     * never the network, broadcast or bridge address.
     */
    Inet4Address allocate(Set<Inet4Address> taken) {
        long mask = prefix == 0 ? 0 : 0xFFFF_FFFFL << (32 - prefix) & 0xFFFF_FFFFL;
        long network = toLong(bridge) & mask;
        long broadcast = network | ~mask & 0xFFFF_FFFFL;
        long hosts = broadcast - network - 1;
        long start = toLong(bridge) - network; // offset of the bridge: guests come after it
        for (long i = 1; i <= hosts; i++) {
            long candidate = network + 1 + (start + i - 1) % hosts;
            Inet4Address address = toAddress(candidate);
            if (candidate != toLong(bridge) && !taken.contains(address)) {
                return address;
            }
        }
        throw new BangerException(ErrorCode.OPERATION_FAILED, "no free guest address in " + toAddress(network).getHostAddress()
                + "/" + prefix + ": every address is in use (delete a VM, or set a shorter 'cidr' in bangerd's config)");
    }

    private static long toLong(Inet4Address a) {
        return ByteBuffer.wrap(a.getAddress()).getInt() & 0xFFFF_FFFFL;
    }

    private static Inet4Address toAddress(long value) {
        try {
            return (Inet4Address) InetAddress.getByAddress(ByteBuffer.allocate(4).putInt((int) value).array());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 bytes are always an IPv4 address", e);
        }
    }
}
