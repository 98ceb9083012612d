package dev.banger.daemon.network.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The guests' server on its own port 53 (the test JVM's private network namespace): .vm names for
 * everyone, other names forwarded to "the host's resolver" (a test server on another loopback
 * address, named by a resolv.conf of the test's) for a NAT guest, REFUSED with the reason for the
 * others. Asked by dnsjava and by busybox's nslookup, which the test guests run.
 */
class GuestResolverTest {

    private static final InetSocketAddress GUESTS = new InetSocketAddress(ipv4("127.0.0.2"), 53);
    private static final InetSocketAddress UPSTREAM = new InetSocketAddress(ipv4("127.0.0.3"), 53);
    private static final Inet4Address NAT_GUEST = ipv4("127.0.0.4");
    private static final Inet4Address PLAIN_GUEST = ipv4("127.0.0.5");

    @TempDir
    Path dir;
    VmDns dns;
    TestUpstreamDns upstream;

    @BeforeEach
    void start() throws Exception {
        Path resolvConf = Files.writeString(dir.resolve("resolv.conf"), "# the host's\nnameserver 127.0.0.2\nnameserver 127.0.0.3\n");
        upstream = TestUpstreamDns.start(UPSTREAM, Map.of("deb.debian.org", ipv4("203.0.113.10")));
        dns = new VmDns(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "br-fc",
                new ResolvedRouting(new CommandRunner(), () -> Optional.of("not here")), GUESTS, Set.of(NAT_GUEST)::contains, resolvConf);
        dns.start(false);
        dns.bridgeUp(true);
        dns.put("web", ipv4("172.16.0.9"));
    }

    @AfterEach
    void stop() {
        dns.close();
        upstream.close();
    }

    @Test
    void vmNamesForEveryGuestOtherNamesForwardedForNatGuestsRefusedForTheOthers() throws Exception {
        assertThat(dns.guestsListening()).contains(GUESTS);
        assertThat(ask(PLAIN_GUEST, "web.vm").getSection(Section.ANSWER)).singleElement().asString().contains("172.16.0.9");

        Message refused = ask(PLAIN_GUEST, "deb.debian.org");
        assertThat(refused.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(refused.getOPT().getOptions(org.xbill.DNS.EDNSOption.Code.EDNS_EXTENDED_ERROR)).singleElement()
                .satisfies(o -> assertThat(((ExtendedErrorCodeOption) o).getText()).contains("NAT is off"));

        Message forwarded = ask(NAT_GUEST, "deb.debian.org");
        assertThat(forwarded.getRcode()).as("the upstream's answer, not this server's (skipped as itself)").isEqualTo(Rcode.NOERROR);
        assertThat(forwarded.getSection(Section.ANSWER)).singleElement().asString().contains("203.0.113.10");
        assertThat(ask(NAT_GUEST, "nowhere.example").getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void busyboxNslookupReadsTheAnswers() {
        CommandResult web = new CommandRunner().runAllowingFailure(Command.of("busybox", "nslookup", "web.vm", "127.0.0.2"));
        assertThat(web.stdout()).as(web.stdout() + web.stderr()).contains("172.16.0.9");
        CommandResult other = new CommandRunner().runAllowingFailure(Command.of("busybox", "nslookup", "deb.debian.org", "127.0.0.2"));
        assertThat(other.stdout()).as("the test JVM asks from 127.0.0.1, a guest without NAT").contains("REFUSED");
    }

    /** {@code name}'s A record asked from {@code from} (bound there, as a guest's query comes from its address), with EDNS. */
    private static Message ask(InetAddress from, String name) throws Exception {
        org.xbill.DNS.SimpleResolver r = new org.xbill.DNS.SimpleResolver(GUESTS);
        r.setLocalAddress(new InetSocketAddress(from, 0));
        r.setEDNS(0);
        r.setTimeout(java.time.Duration.ofSeconds(5));
        return r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(org.xbill.DNS.Name.fromString(name + "."), Type.A,
                org.xbill.DNS.DClass.IN)));
    }

    private static Inet4Address ipv4(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
