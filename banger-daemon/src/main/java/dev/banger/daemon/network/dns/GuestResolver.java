package dev.banger.daemon.network.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;

/**
 * The guests' resolver, on the bridge address port 53 (their resolv.conf names it): {@code .vm}
 * names and their reverse names from the zone; any other name forwarded to the host's own
 * resolvers (resolv.conf's {@code nameserver} lines, as bangerd sees them) for a guest with NAT,
 * and REFUSED at once for a guest without it, so a lookup fails in milliseconds instead of timing
 * out, with an Extended DNS Error (RFC 8914, "Prohibited") saying NAT is off.
 */
final class GuestResolver implements DnsListener.Responder {

    private static final Logger LOG = LoggerFactory.getLogger(GuestResolver.class);
    static final String NAT_OFF = "banger: NAT is off for this VM, so it resolves only NAME.vm; "
            + "`banger vm set VM --nat` (stopped) gives it the host's networks";
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(2);

    private final VmZone zone;
    private final Predicate<InetAddress> natOn;
    private final Path resolvConf;
    private final InetAddress self;

    /** {@code natOn}: whether a guest address has NAT; {@code self}: this server's address, never used as an upstream. */
    GuestResolver(VmZone zone, Predicate<InetAddress> natOn, Path resolvConf, InetAddress self) {
        this.zone = zone;
        this.natOn = natOn;
        this.resolvConf = resolvConf;
        this.self = self;
    }

    @Override
    public Message answer(Message query, InetAddress from) {
        Message local = zone.answer(query);
        if (local == null || local.getRcode() != Rcode.REFUSED) {
            return local; // a .vm name, a guest's reverse name, or a malformed query: answered here
        }
        if (!natOn.test(from)) {
            return refused(local);
        }
        return forward(query, local);
    }

    /** REFUSED with the reason as an Extended DNS Error, for a query that came with EDNS (dig shows it). */
    private static Message refused(Message local) {
        OPTRecord opt = local.getOPT();
        if (opt != null) {
            local.removeRecord(opt, Section.ADDITIONAL);
            local.addRecord(new OPTRecord(opt.getPayloadSize(), 0, 0, 0,
                    List.of(new ExtendedErrorCodeOption(ExtendedErrorCodeOption.PROHIBITED, NAT_OFF))), Section.ADDITIONAL);
        }
        return local;
    }

    /** The host's resolvers' answer, with the guest's id; SERVFAIL when none answers. */
    private Message forward(Message query, Message local) {
        for (InetAddress upstream : upstreams()) {
            try {
                SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(upstream, 53));
                resolver.setTimeout(UPSTREAM_TIMEOUT);
                Message answer = resolver.send(query.clone());
                answer.getHeader().setID(query.getHeader().getID());
                return answer;
            } catch (IOException e) {
                LOG.debug("dns: upstream {} did not answer {}: {}", upstream.getHostAddress(), query.getQuestion(), e.getMessage());
            }
        }
        local.getHeader().setRcode(Rcode.SERVFAIL);
        local.getHeader().setFlag(Flags.RA);
        return local;
    }

    /** resolv.conf's IPv4 and IPv6 nameservers, read at each query (the host's network may change), without this server. */
    List<InetAddress> upstreams() {
        List<InetAddress> servers = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(resolvConf);
        } catch (IOException e) {
            LOG.debug("dns: cannot read {}: {}", resolvConf, e.getMessage());
            return servers;
        }
        for (String line : lines) {
            String[] words = line.strip().split("\\s+");
            if (words.length >= 2 && words[0].equals("nameserver") && words[1].matches("[0-9a-fA-F:.]+")) {
                try {
                    InetAddress a = InetAddress.getByName(words[1]); // a literal: the pattern admits no names
                    if (!a.equals(self)) {
                        servers.add(a);
                    }
                } catch (IOException e) {
                    LOG.debug("dns: nameserver {} in {} is not an address", words[1], resolvConf);
                }
            }
        }
        return servers;
    }
}
