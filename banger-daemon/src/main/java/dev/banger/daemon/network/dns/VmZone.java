package dev.banger.daemon.network.dns;

import java.net.Inet4Address;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The {@code vm.} zone: one A record per running VM, and the answers to queries about it. Names
 * match case-insensitively; the answer keeps the asker's spelling (resolvers that randomise case
 * check it). Anything outside {@code vm.} and the running VMs' reverse names is refused: this
 * server is authoritative for that zone only and resolves nothing else.
 */
final class VmZone {

    static final Name ORIGIN = name("vm.");
    /** Short, since VMs come and go: a stopped VM's name should not linger in a resolver's cache. */
    static final long TTL = 5;
    /** The EDNS payload this server offers; the common safe size against fragmentation. */
    static final int EDNS_PAYLOAD = 1232;
    // A local zone served by nothing on the network: the conventional "localhost." and an unused mailbox.
    private static final Name PRIMARY = name("localhost.");
    private static final Record SOA = new SOARecord(ORIGIN, DClass.IN, TTL, PRIMARY, name("hostmaster.invalid."), 1, 3600, 600,
            86400, TTL);
    private static final Record NS = new NSRecord(ORIGIN, DClass.IN, TTL, PRIMARY);

    /** Lower-case VM name to its guest address. */
    private final Map<String, Inet4Address> records = new ConcurrentHashMap<>();

    void put(String vmName, Inet4Address ip) {
        records.put(vmName.toLowerCase(Locale.ROOT), ip);
    }

    /** Removes the name only while it still points at {@code ip}, so a late cleanup never takes a newer VM's name. */
    void remove(String vmName, Inet4Address ip) {
        records.remove(vmName.toLowerCase(Locale.ROOT), ip);
    }

    Optional<Inet4Address> lookup(String vmName) {
        return Optional.ofNullable(records.get(vmName.toLowerCase(Locale.ROOT)));
    }

    /** The answer to {@code query}; null for a message that is itself a response (never answer those: no loops). */
    Message answer(Message query) {
        if (query.getHeader().getFlag(Flags.QR)) {
            return null;
        }
        Message response = responseTo(query);
        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            response.getHeader().setRcode(Rcode.NOTIMP);
            return response;
        }
        if (query.getHeader().getCount(Section.QUESTION) != 1) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response;
        }
        Record question = query.getQuestion();
        response.addRecord(question, Section.QUESTION);
        Name qname = question.getName();
        boolean inClass = question.getDClass() == DClass.IN || question.getDClass() == DClass.ANY;
        if (inClass && qname.subdomain(ORIGIN)) {
            answerInZone(response, qname, question.getType());
        } else if (inClass && question.getType() == Type.PTR && reverse(qname).isPresent()) {
            response.getHeader().setFlag(Flags.AA);
            response.addRecord(new PTRRecord(qname, DClass.IN, TTL, reverse(qname).get()), Section.ANSWER);
        } else {
            response.getHeader().setRcode(Rcode.REFUSED);
        }
        return response;
    }

    private void answerInZone(Message response, Name qname, int type) {
        response.getHeader().setFlag(Flags.AA);
        if (qname.equals(ORIGIN)) {
            if (type == Type.SOA || type == Type.ANY) {
                response.addRecord(SOA, Section.ANSWER);
            }
            if (type == Type.NS || type == Type.ANY) {
                response.addRecord(NS, Section.ANSWER);
            }
            if (response.getHeader().getCount(Section.ANSWER) == 0) {
                response.addRecord(SOA, Section.AUTHORITY);
            }
            return;
        }
        Optional<Inet4Address> ip = qname.labels() == ORIGIN.labels() + 1 ? lookup(qname.getLabelString(0)) : Optional.empty();
        if (ip.isEmpty()) {
            response.getHeader().setRcode(Rcode.NXDOMAIN);
            response.addRecord(SOA, Section.AUTHORITY);
        } else if (type == Type.A || type == Type.ANY) {
            response.addRecord(new ARecord(qname, DClass.IN, TTL, ip.get()), Section.ANSWER);
        } else {
            response.addRecord(SOA, Section.AUTHORITY); // NODATA: the name exists, without that type (AAAA, MX, ...)
        }
    }

    /** The {@code <name>.vm.} whose address {@code qname} is the reverse name of, if a running VM has it. */
    private Optional<Name> reverse(Name qname) {
        return records.entrySet().stream()
                .filter(e -> ReverseMap.fromAddress(e.getValue()).equals(qname))
                .map(e -> name(e.getKey() + "." + ORIGIN))
                .findFirst();
    }

    /** Same id and recursion-desired bit as the query; an EDNS query gets an EDNS answer. */
    private static Message responseTo(Message query) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        response.getHeader().setOpcode(query.getHeader().getOpcode());
        if (query.getOPT() != null) {
            response.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        return response;
    }

    private static Name name(String text) {
        try {
            return Name.fromString(text);
        } catch (TextParseException e) {
            throw new IllegalArgumentException(text + " is not a DNS name", e);
        }
    }
}
