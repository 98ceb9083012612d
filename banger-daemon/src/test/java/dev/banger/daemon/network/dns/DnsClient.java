package dev.banger.daemon.network.dns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

/** Real DNS queries for tests (dnsjava's stub resolver, no search list, no retries to speak of), and free loopback ports. */
public final class DnsClient {

    private DnsClient() {
    }

    /** {@code name}'s {@code type} records asked of the server at {@code server}, over UDP or TCP. */
    public static Message query(InetSocketAddress server, String name, int type, boolean tcp) {
        try {
            SimpleResolver r = new SimpleResolver(server);
            r.setTCP(tcp);
            r.setTimeout(Duration.ofSeconds(3));
            return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
        } catch (IOException e) {
            throw new UncheckedIOException("DNS query for " + name + " to " + server + " failed: " + e.getMessage(), e);
        }
    }

    /** A loopback port free for both TCP and UDP just now (for a server the test starts next). */
    public static InetSocketAddress freeLoopbackPort() {
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, lo); DatagramSocket udp = new DatagramSocket(tcp.getLocalPort(), lo)) {
                return new InetSocketAddress(lo, udp.getLocalPort());
            } catch (IOException busyForUdp) {
                // That TCP port's UDP twin is taken: try another.
            }
        }
        throw new IllegalStateException("no loopback port free for both TCP and UDP");
    }
}
