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

    /** Serves {@code names} (without the final dot) on {@code at}, UDP and TCP. */
    public static TestUpstreamDns start(InetSocketAddress at, Map<String, Inet4Address> names) {
        return new TestUpstreamDns(at, names);
    }

    @Override
    public void close() {
        listener.close();
    }
}
