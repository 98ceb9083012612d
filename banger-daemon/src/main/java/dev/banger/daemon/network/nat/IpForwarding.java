package dev.banger.daemon.network.nat;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code net.ipv4.ip_forward} of the daemon's network namespace. Banger turns it on for the first
 * NAT VM and never turns it off: docker, libvirt or a user's own router may depend on it by then,
 * and a host that had it off before banger is told so in the log, once.
 */
final class IpForwarding {

    private static final Logger LOG = LoggerFactory.getLogger(IpForwarding.class);
    static final Path SYSCTL = Path.of("/proc/sys/net/ipv4/ip_forward");

    private IpForwarding() {
    }

    static boolean on() {
        try {
            return Files.readString(SYSCTL).strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    static void ensureOn() {
        if (on()) {
            return;
        }
        try {
            Files.writeString(SYSCTL, "1\n");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot turn on IPv4 forwarding for NAT (write 1 to " + SYSCTL
                    + "): " + e.getMessage() + " (bangerd must run as root)", e);
        }
        LOG.info("turned on IPv4 forwarding (net.ipv4.ip_forward was 0) for NAT; banger leaves it on");
    }
}
