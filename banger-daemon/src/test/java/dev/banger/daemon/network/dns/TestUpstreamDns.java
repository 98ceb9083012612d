package dev.banger.daemon.network.dns;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Map;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** "The host's resolver" for tests: answers A queries for the names it is given, NXDOMAIN for the rest. */
public final class TestUpstreamDns implements AutoCloseable {

    private final DnsListener listener;

    private TestUpstreamDns(InetSocketAddress at, Map<String, Inet4Address> names) {
        this.listener = DnsListener.start(at, (query, from) -> {
            Message r = new Message(query.getHeader().getID());
            r.getHeader().setFlag(Flags.QR);
            r.getHeader().setFlag(Flags.RA);
            r.addRecord(query.getQuestion(), Section.QUESTION);
            Inet4Address ip = names.get(query.getQuestion().getName().toString(true).toLowerCase(java.util.Locale.ROOT));
            if (ip == null) {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
            } else if (query.getQuestion().getType() == Type.A) {
                r.addRecord(new ARecord(query.getQuestion().getName(), DClass.IN, 60, ip), Section.ANSWER);
            }
            return r;
        });
    }

    /**
     * Serves {@code names} at the first IPv4 nameserver of the host's /etc/resolv.conf (where bangerd
     * forwards NAT guests' names), port 53, made an address of the test's own network namespace.
     */
    public static TestUpstreamDns atHostResolver(dev.banger.daemon.exec.CommandRunner runner, Map<String, Inet4Address> names)
            throws java.io.IOException {
        java.net.InetAddress resolver = null;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/etc/resolv.conf"))) {
            String[] w = line.strip().split("\\s+");
            if (resolver == null && w.length >= 2 && w[0].equals("nameserver") && w[1].matches("[0-9.]+")) {
                resolver = java.net.InetAddress.getByName(w[1]);
            }
        }
        if (resolver == null) {
            throw new IllegalStateException("/etc/resolv.conf names no IPv4 nameserver to stand in for");
        }
        if (!resolver.isLoopbackAddress()) {
            runner.run("ip", "addr", "replace", resolver.getHostAddress() + "/32", "dev", "lo"); // replace: an earlier test class in this JVM may have added it
        }
        return start(new InetSocketAddress(resolver, 53), names);
    }

    /** Serves {@code names} (without the final dot) on {@code at}, UDP and TCP. */
    public static TestUpstreamDns start(InetSocketAddress at, Map<String, Inet4Address> names) {
        return new TestUpstreamDns(at, names);
    }

    @Override
    public void close() {
        listener.close();
    }
}
