package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.config.Config;
import dev.banger.daemon.network.dns.DnsClient;
import dev.banger.daemon.network.dns.VmDns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The .vm DNS server as the daemon runs it: opened with the daemon on {@code dns_listen}, gone with it. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DaemonDnsTest {

    @TempDir
    Path root;

    private Daemon daemon;

    @AfterEach
    void close() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private Config listeningOn(InetSocketAddress at) {
        Config base = Config.under(root);
        return base.withVm(base.vm().withDnsListen(at.getAddress().getHostAddress() + ":" + at.getPort()));
    }

    @Test
    void openStartsAnsweringOnTheConfiguredPortAndCloseLetsItGo() throws IOException {
        InetSocketAddress at = DnsClient.freeLoopbackPort();

        daemon = Daemon.open(listeningOn(at));

        assertThat(DnsClient.query(at, "nothing-yet.vm.", Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(DnsClient.query(at, "nothing-yet.vm.", Type.A, true).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        daemon.close();
        assertThatThrownBy(() -> DnsClient.query(at, "nothing-yet.vm.", Type.A, false)).isInstanceOf(UncheckedIOException.class);
        try (DatagramSocket udp = new DatagramSocket(at); ServerSocket tcp = new ServerSocket(at.getPort(), 1, at.getAddress())) {
            assertThat(tcp.getLocalPort()).isEqualTo(udp.getLocalPort());
        }
    }

    @Test
    void aPortHeldByAnotherProgramStillLetsTheDaemonStartAndDoctorSaysWhy() throws IOException {
        InetSocketAddress at = DnsClient.freeLoopbackPort();
        try (DatagramSocket squatter = new DatagramSocket(at)) {
            daemon = Daemon.open(listeningOn(at));

            VmDns dns = daemon.net.dns().orElseThrow();
            assertThat(dns.listening()).isEmpty();
            VmDns.Check listener = dns.checks().getFirst();
            assertThat(listener.ok()).isFalse();
            assertThat(listener.detail().getFirst()).contains(at.getAddress().getHostAddress() + ":" + at.getPort()).contains("in use");
            assertThat(daemon.vm.list()).as("the VM service works").isEmpty();
            try (ServerSocket tcp = new ServerSocket(at.getPort(), 1, at.getAddress())) {
                assertThat(tcp.getLocalPort()).as("nothing half-bound").isEqualTo(at.getPort());
            }
        }
    }

    @Test
    void offMeansNoServer() {
        Config base = Config.under(root);
        daemon = Daemon.open(base.withVm(base.vm().withDnsListen("off")));

        assertThat(daemon.net.dns()).isEmpty();
    }
}
