package dev.banger.daemon.network.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The .vm server on a real loopback port, asked with real DNS queries over UDP and TCP; systemd-resolved
 * stood in for by a runner that records the resolvectl commands (resolved does not run here).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class VmDnsTest {

    private static final Inet4Address GUEST = ipv4("172.16.0.7");

    /** Records resolvectl commands and fails those {@code failing} starts with; runs nothing. */
    static final class RecordingRunner extends CommandRunner {
        final List<String> commands = new CopyOnWriteArrayList<>();
        volatile String failing = "none";

        @Override
        public CommandResult runAllowingFailure(Command command) {
            String line = String.join(" ", command.argv());
            commands.add(line);
            boolean fails = line.startsWith(failing);
            return new CommandResult(command, fails ? 1 : 0, "", fails ? "Failed to set DNS configuration: Access denied" : "",
                    Duration.ZERO);
        }
    }

    private final RecordingRunner runner = new RecordingRunner();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private VmDns dns(InetSocketAddress listen, Optional<String> resolvedMissing) {
        VmDns dns = new VmDns(listen, "br-fc", new ResolvedRouting(runner, () -> resolvedMissing));
        open.add(dns);
        return dns;
    }

    /** A running server on a free port, resolved absent. */
    private InetSocketAddress serving(VmDns dns) {
        dns.start(false);
        return dns.listening().orElseThrow();
    }

    @Test
    void aRunningVmsNameAnswersWithItsAddressAuthoritativelyInAnyCase() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        for (String asked : List.of("life.vm.", "LIFE.Vm.")) {
            Message m = DnsClient.query(at, asked, Type.A, false);
            assertThat(m.getRcode()).as(asked).isEqualTo(Rcode.NOERROR);
            assertThat(m.getHeader().getFlag(Flags.AA)).as("authoritative").isTrue();
            List<Record> answers = m.getSection(Section.ANSWER);
            assertThat(answers).hasSize(1);
            assertThat(((ARecord) answers.getFirst()).getAddress()).isEqualTo(GUEST);
            assertThat(answers.getFirst().getName().toString()).as("the asker's spelling, for case-randomising resolvers")
                    .isEqualTo(asked);
            assertThat(answers.getFirst().getTTL()).as("short: VMs come and go").isEqualTo(VmZone.TTL);
        }
    }

    @Test
    void anUnknownVmNameIsNxdomainWithTheZonesSoaAndOtherZonesAreRefused() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        for (String name : List.of("nope.vm.", "a.life.vm.")) {
            Message m = DnsClient.query(at, name, Type.A, false);
            assertThat(m.getRcode()).as(name).isEqualTo(Rcode.NXDOMAIN);
            assertThat(m.getHeader().getFlag(Flags.AA)).as(name + " is ours to deny").isTrue();
            assertThat(m.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class)
                    .satisfies(soa -> assertThat(soa.getName().toString()).isEqualTo("vm."));
        }
        Message elsewhere = DnsClient.query(at, "example.com.", Type.A, false);
        assertThat(elsewhere.getRcode()).as("not our zone: no recursion, no answer").isEqualTo(Rcode.REFUSED);
        assertThat(elsewhere.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(elsewhere.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void otherTypesOfAKnownNameAreNodataAndTheZoneApexHasSoaAndNs() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        Message aaaa = DnsClient.query(at, "life.vm.", Type.AAAA, false);
        assertThat(aaaa.getRcode()).as("the name exists").isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
        assertThat(aaaa.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);

        Message soa = DnsClient.query(at, "vm.", Type.SOA, false);
        assertThat(soa.getSection(Section.ANSWER)).singleElement().isInstanceOf(SOARecord.class);
        Message ns = DnsClient.query(at, "vm.", Type.NS, false);
        assertThat(ns.getSection(Section.ANSWER)).singleElement().satisfies(r -> assertThat(r.getType()).isEqualTo(Type.NS));
        assertThat(ns.getHeader().getFlag(Flags.AA)).isTrue();
    }

    @Test
    void aGuestAddressHasItsNameAsPtr() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        Message m = DnsClient.query(at, ReverseMap.fromAddress(GUEST).toString(), Type.PTR, false);
        assertThat(m.getSection(Section.ANSWER)).singleElement().isInstanceOf(PTRRecord.class)
                .satisfies(r -> assertThat(((PTRRecord) r).getTarget().toString()).isEqualTo("life.vm."));
        assertThat(DnsClient.query(at, ReverseMap.fromAddress(ipv4("172.16.0.99")).toString(), Type.PTR, false).getRcode())
                .as("an address no VM has").isEqualTo(Rcode.REFUSED);
    }

    @Test
    void digUnderstandsTheAnswersOverUdpAndTcp() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        for (String transport : List.of("+notcp", "+tcp")) {
            String found = dig(at, transport, "life.vm", "A");
            assertThat(found).as(transport).contains("status: NOERROR").containsPattern("flags: qr aa[ ;]")
                    .containsPattern("life\\.vm\\.\\s+5\\s+IN\\s+A\\s+172\\.16\\.0\\.7");
            assertThat(dig(at, transport, "nope.vm", "A")).as(transport).contains("status: NXDOMAIN").containsPattern("flags: qr aa[ ;]");
            assertThat(dig(at, transport, "example.com", "A")).as(transport).contains("status: REFUSED");
        }
    }

    private static String dig(InetSocketAddress at, String transport, String name, String type) {
        return new CommandRunner().run("dig", "@" + at.getAddress().getHostAddress(), "-p", Integer.toString(at.getPort()), transport,
                "+tries=1", "+time=3", "+noall", "+comments", "+answer", name, type).stdout();
    }

    @Test
    void tcpAnswersTheSameAndTakesSeveralQueriesOnOneConnection() throws IOException {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        Message m = DnsClient.query(at, "life.vm.", Type.A, true);
        assertThat(((ARecord) m.getSection(Section.ANSWER).getFirst()).getAddress()).isEqualTo(GUEST);
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setSoTimeout(3000);
            for (String name : List.of("life.vm.", "nope.vm.")) {
                Message answer = overTcp(s, query(name, Type.A).toWire());
                assertThat(answer.getQuestion().getName().toString()).isEqualTo(name);
            }
        }
    }

    @Test
    void removeTakesTheNameOnlyWhileItStillPointsAtThatAddress() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        dns.remove("life", ipv4("172.16.0.8"));
        assertThat(DnsClient.query(at, "life.vm.", Type.A, false).getRcode()).as("another VM's address: kept").isEqualTo(Rcode.NOERROR);
        dns.remove("life", GUEST);
        assertThat(DnsClient.query(at, "life.vm.", Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        dns.remove("life", GUEST); // already gone: fine
    }

    @Test
    void anEdnsQueryGetsAnEdnsAnswer() throws IOException {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        Message q = query("life.vm.", Type.A);
        q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        Message m = new SimpleResolver(at).send(q);
        assertThat(m.getOPT()).isNotNull();
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(VmZone.EDNS_PAYLOAD);
        assertThat(m.getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void malformedPacketsAreAnsweredFormerrOrDroppedAndTheServerGoesOn() throws IOException {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        try (DatagramSocket udp = new DatagramSocket()) {
            udp.setSoTimeout(1000);
            udp.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, at)); // too short to have an id: dropped
            assertThat(receive(udp)).as("no answer to 3 bytes").isNull();

            byte[] garbage = new byte[40];
            garbage[0] = 0x12;
            garbage[1] = 0x34;
            garbage[5] = 1; // one question, then nothing where its name should be
            java.util.Arrays.fill(garbage, 12, 40, (byte) 0xff);
            udp.send(new DatagramPacket(garbage, garbage.length, at));
            Message formErr = new Message(receive(udp));
            assertThat(formErr.getHeader().getID()).isEqualTo(0x1234);
            assertThat(formErr.getRcode()).isEqualTo(Rcode.FORMERR);

            byte[] response = query("life.vm.", Type.A).toWire();
            response[2] |= (byte) 0x80; // a response sent to us: answering it could loop between two servers
            udp.send(new DatagramPacket(response, response.length, at));
            assertThat(receive(udp)).as("no answer to a response").isNull();

            Message padded = query("life.vm.", Type.A); // well-formed, but its last record ends past the read limit
            padded.addRecord(new TXTRecord(Name.fromString("pad.vm."), DClass.IN, 0, java.util.Collections.nCopies(20, "x".repeat(250))),
                    Section.ADDITIONAL);
            byte[] oversized = padded.toWire();
            assertThat(oversized.length).isGreaterThan(DnsListener.MAX_UDP_QUERY);
            udp.send(new DatagramPacket(oversized, oversized.length, at));
            assertThat(new Message(receive(udp)).getRcode()).as("read up to the limit only, so it no longer parses")
                    .isEqualTo(Rcode.FORMERR);
        }
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setSoTimeout(3000);
            byte[] bad = new byte[20];
            bad[0] = 0x56;
            bad[1] = 0x78;
            bad[5] = 9;
            assertThat(overTcp(s, bad).getRcode()).isEqualTo(Rcode.FORMERR);
            assertThat(overTcp(s, query("life.vm.", Type.A).toWire()).getSection(Section.ANSWER)).as("the same connection goes on")
                    .hasSize(1);
        }
        assertThat(DnsClient.query(at, "life.vm.", Type.A, false).getSection(Section.ANSWER)).as("UDP still answers").hasSize(1);
        assertThat(DnsClient.query(at, "life.vm.", Type.A, true).getSection(Section.ANSWER)).as("TCP still answers").hasSize(1);
    }

    @Test
    void aTcpClientThatSaysNothingDoesNotHoldUpOthers() throws IOException {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("no resolved"));
        InetSocketAddress at = serving(dns);
        dns.put("life", GUEST);

        try (Socket silent = new Socket(at.getAddress(), at.getPort()); Socket half = new Socket(at.getAddress(), at.getPort())) {
            half.getOutputStream().write(new byte[] {0, 100, 1, 2}); // promises 100 bytes, sends 2
            assertThat(DnsClient.query(at, "life.vm.", Type.A, true).getSection(Section.ANSWER)).hasSize(1);
        }
    }

    @Test
    void aPortHeldByAnotherProgramIsAClearWarningAndLeavesNothingBound() throws IOException {
        InetSocketAddress port = DnsClient.freeLoopbackPort();
        try (DatagramSocket squatter = new DatagramSocket(port)) {
            VmDns dns = dns(port, Optional.empty());
            dns.start(true);

            assertThat(dns.listening()).isEmpty();
            assertThat(dns.checks().getFirst()).satisfies(c -> {
                assertThat(c.ok()).isFalse();
                assertThat(String.join("\n", c.detail())).contains("cannot listen for DNS on " + hostPort(port) + "/udp")
                        .contains("in use").contains("dns_listen");
            });
            try (ServerSocket tcp = new ServerSocket(port.getPort(), 1, port.getAddress())) {
                assertThat(tcp.getLocalPort()).as("the TCP side bound before UDP failed was let go").isEqualTo(port.getPort());
            }
            assertThat(runner.commands).as("resolved is never pointed at someone else's server").isEmpty();
            assertThat(dns.checks().get(1)).satisfies(c -> {
                assertThat(c.ok()).isFalse();
                assertThat(c.detail().getFirst()).contains("not answering");
            });
            assertThat(dnsThreads()).isEmpty();
        }
        try (ServerSocket squatter = new ServerSocket(port.getPort(), 1, port.getAddress())) {
            VmDns dns = dns(port, Optional.empty());
            dns.start(true);
            assertThat(dns.listening()).isEmpty();
            assertThat(String.join("\n", dns.checks().getFirst().detail())).contains(hostPort(port) + "/tcp").contains("in use");
            try (DatagramSocket udp = new DatagramSocket(port)) {
                assertThat(udp.getLocalPort()).isEqualTo(port.getPort());
            }
        }
    }

    @Test
    void closeStopsAnsweringAndFreesThePort() throws IOException {
        InetSocketAddress port = DnsClient.freeLoopbackPort();
        VmDns dns = dns(port, Optional.of("no resolved"));
        dns.start(false);
        assertThat(dns.checks().getFirst().detail()).containsExactly("answering <name>.vm on " + hostPort(port) + " (UDP and TCP)");

        dns.close();
        dns.close();

        assertThat(dnsThreads()).isEmpty();
        try (DatagramSocket udp = new DatagramSocket(port); ServerSocket tcp = new ServerSocket(port.getPort(), 1, port.getAddress())) {
            assertThat(udp.getLocalPort()).isEqualTo(tcp.getLocalPort());
        }
        assertThat(dns.checks().getFirst()).as("a free port is fine for the next start")
                .satisfies(c -> assertThat(c.ok()).isTrue());
    }

    @Test
    void whereResolvedRunsVmIsRoutedToTheServerOnTheBridgeAndTakenBackOnClose() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty());
        dns.start(false);
        String at = hostPort(dns.listening().orElseThrow());
        assertThat(runner.commands).as("no bridge yet: no link to configure").isEmpty();
        assertThat(dns.checks().get(1).detail().getFirst()).contains("once br-fc exists");

        dns.bridgeUp(false);
        List<String> route = List.of("resolvectl --no-ask-password dns br-fc " + at, "resolvectl --no-ask-password domain br-fc ~vm",
                "resolvectl --no-ask-password dnssec br-fc no", "resolvectl --no-ask-password dnsovertls br-fc no");
        assertThat(runner.commands).containsExactlyElementsOf(route);
        dns.bridgeUp(false);
        assertThat(runner.commands).as("routed once per daemon while the bridge stays").hasSize(4);
        dns.bridgeUp(true);
        assertThat(runner.commands).as("a bridge made anew lost its link settings").hasSize(8);
        assertThat(dns.checks().get(1)).satisfies(c -> assertThat(c.ok()).isTrue());

        runner.commands.clear();
        dns.close();
        assertThat(runner.commands).containsExactly("resolvectl --no-ask-password revert br-fc");
    }

    @Test
    void aBridgeThatExistsAtStartIsRoutedAtOnce() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty());
        dns.start(true);
        assertThat(runner.commands).hasSize(4).first().asString().startsWith("resolvectl --no-ask-password dns br-fc 127.0.0.1:");
    }

    @Test
    void aResolvectlFailureIsTakenBackAndReportedWhileNamesStillAnswer() {
        runner.failing = "resolvectl --no-ask-password domain";
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.empty());
        dns.start(true);
        dns.put("life", GUEST);

        assertThat(runner.commands).hasSize(3).last().isEqualTo("resolvectl --no-ask-password revert br-fc");
        assertThat(dns.checks().get(1)).satisfies(c -> {
            assertThat(c.ok()).isFalse();
            assertThat(c.detail().getFirst()).contains("resolvectl failed").contains("Access denied");
        });
        assertThat(DnsClient.query(dns.listening().orElseThrow(), "life.vm.", Type.A, false).getSection(Section.ANSWER)).hasSize(1);
        runner.commands.clear();
        dns.close();
        assertThat(runner.commands).as("nothing is routed, nothing to revert").isEmpty();
    }

    @Test
    void withoutResolvedDoctorSaysHowElseToAsk() {
        VmDns dns = dns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Optional.of("systemd-resolved is not running"));
        dns.start(true);
        assertThat(runner.commands).isEmpty();
        assertThat(dns.checks().get(1)).satisfies(c -> {
            assertThat(c.ok()).isFalse();
            assertThat(c.detail()).anyMatch(l -> l.contains("systemd-resolved is not running"))
                    .anyMatch(l -> l.contains("docs/dns.md"));
        });
    }

    @Test
    void theTestJvmNeverRoutesThroughTheHostsResolved() {
        assertThat(new ResolvedRouting(new CommandRunner()).unavailable())
                .as("a private network namespace (or no resolved at all): the host's resolved is left alone").isPresent();
    }

    // ---- helpers ----

    private static Message query(String name, int type) {
        try {
            return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Message overTcp(Socket s, byte[] wire) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeShort(wire.length);
        out.write(wire);
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] answer = new byte[in.readUnsignedShort()];
        in.readFully(answer);
        return new Message(answer);
    }

    private static byte[] receive(DatagramSocket udp) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
        try {
            udp.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return java.util.Arrays.copyOf(p.getData(), p.getLength());
    }

    private static List<String> dnsThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith("dns-")).toList();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static Inet4Address ipv4(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
