package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.dns.TestUpstreamDns;
import dev.banger.daemon.network.nat.TestInternet;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guests resolve through bangerd on the bridge address. Two busybox VMs: without NAT, another
 * name fails at once (REFUSED) and a connection beyond the host is rejected at once (ICMP), while
 * NAME.vm still resolves; with NAT, names go to the host's resolver (a test server at the address
 * the host's /etc/resolv.conf names, made inside the test's network namespace): "deb.debian.org"
 * resolves to the test internet's web server, which the guest reaches.
 */
class VmGuestDnsTest extends BusyboxVmTest {

    private static final Pattern ELAPSED = Pattern.compile("rc=(\\d+) a=([0-9.]+) b=([0-9.]+)");

    TestInternet internet;
    TestUpstreamDns upstream;

    @BeforeAll
    void setUp() throws IOException {
        internet = TestInternet.start(dir.resolve("internet"));
        upstream = TestUpstreamDns.atHostResolver(rig.runner,
                Map.of("deb.debian.org", (Inet4Address) InetAddress.getByName(TestInternet.SERVER)));
    }

    @AfterAll
    void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {upstream, internet}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // the next one still closes
            }
        }
    }

    @Test
    void withoutNatLookupsAndConnectionsFailAtOnceWithNatTheyGoOut() {
        VmInfo off = rig.vms.create(VmRig.create("off", "bb"), rig.ctx("vm.create"));
        VmInfo on = rig.vms.create(new VmApi.CreateParams("on", "bb", null, 1, "256", "256M", false, true, null),
                rig.ctx("vm.create"));

        assertThat(rig.ssh(off, "cat /etc/resolv.conf", Duration.ofSeconds(20)).stdout())
                .contains("nameserver " + rig.config.vm().bridgeAddress().getHostAddress());

        Timed lookup = timed(off, "nslookup -type=a deb.debian.org");
        assertThat(lookup.rc()).as(lookup.output()).isNotZero();
        assertThat(lookup.output()).contains("REFUSED");
        assertThat(lookup.seconds()).as("refused, not timed out: " + lookup.output()).isLessThan(1.0);

        Timed connect = timed(off, "timeout 10 nc " + TestInternet.SERVER + " " + TestInternet.PORT + " </dev/null");
        assertThat(connect.rc()).as(connect.output()).isNotZero();
        assertThat(connect.seconds()).as("rejected, not dropped: " + connect.output()).isLessThan(1.0);

        // One query type at a time: busybox's nslookup sends A and AAAA at once and, when their answers
        // arrive out of order (answered concurrently, as any forwarding server may), prints only one.
        ExecResult named = rig.ssh(off, "nslookup -type=a on.vm", Duration.ofSeconds(20));
        assertThat(named.stdout()).as("NAME.vm still resolves").contains(on.guestIp());

        ExecResult resolved = rig.ssh(on, "nslookup -type=a deb.debian.org", Duration.ofSeconds(20));
        assertThat(resolved.stdout()).as(resolved.stderr()).contains(TestInternet.SERVER);
        // By the address it resolved to: the image's static busybox wget cannot resolve (static glibc, no NSS modules).
        ExecResult fetched = rig.ssh(on, "timeout 10 wget -q -O- " + internet.url(), Duration.ofSeconds(30));
        assertThat(fetched.stdout()).as(fetched.stderr()).contains(internet.marker());
    }

    private record Timed(int rc, double seconds, String output) {
    }

    /** {@code command} in the guest, timed by the guest's own clock (/proc/uptime, 10 ms steps), so SSH's cost is not in it. */
    private Timed timed(VmInfo vm, String command) {
        ExecResult r = rig.ssh(vm, "a=$(cut -d' ' -f1 /proc/uptime); " + command + " 2>&1; rc=$?; b=$(cut -d' ' -f1 /proc/uptime); "
                + "echo \"rc=$rc a=$a b=$b\"", Duration.ofSeconds(30));
        Matcher m = ELAPSED.matcher(r.stdout());
        assertThat(m.find()).as(r.stdout() + r.stderr()).isTrue();
        return new Timed(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(3)) - Double.parseDouble(m.group(2)), r.stdout());
    }
}
