package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.DoctorCheck;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.network.dns.DnsClient;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.capability.Capability;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.SshKeys;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@code NAME.vm} with real busybox guests under QEMU and real DNS queries to the rig's server: it
 * leads to the guest while it runs, and only then, across stop, start, a daemon restart, kill,
 * delete and a start that fails.
 */
class VmDnsNamesTest extends BusyboxVmTest {


    @AfterEach
    void deleteWhatIsLeft() {
        deleteAllVms();
    }

    @Test
    void theNameLeadsToTheRunningGuestAndGoesWhenItStops() {
        VmInfo vm = rig.vms.create(VmRig.create("named", "bb"), rig.ctx("vm.create"));
        assertThat(rig.progress).anyMatch(p -> p.contains("dns name"));
        String ip = resolve("named.vm.");
        assertThat(ip).isEqualTo(vm.guestIp());
        assertThat(resolve("NAMED.vm.")).as("any case").isEqualTo(vm.guestIp());
        assertThat(new GuestSsh(SshKeys.ensure(rig.layout.stateDir().resolve("ssh"), rig.runner))
                .exec(ip, 22, "hostname", Duration.ofSeconds(5), Duration.ofSeconds(30)).stdout().strip())
                .as("SSH at the resolved address reaches that guest").isEqualTo("named");

        rig.vms.stop("named", rig.ctx("vm.stop"));
        assertThat(rcode("named.vm.")).as("stopped").isEqualTo(Rcode.NXDOMAIN);

        rig.vms.start("named", rig.ctx("vm.start"));
        assertThat(resolve("named.vm.")).as("started again").isEqualTo(vm.guestIp());

        InetSocketAddress before = server();
        rig.restart();
        assertThat(server()).as("the restarted daemon's own server, on the configured port").isEqualTo(before);
        assertThat(resolve("named.vm.")).as("rebuilt when the running VM was adopted").isEqualTo(vm.guestIp());

        rig.vms.kill("named", rig.ctx("vm.kill"));
        assertThat(rcode("named.vm.")).as("killed").isEqualTo(Rcode.NXDOMAIN);
        rig.vms.start("named", rig.ctx("vm.start"));
        rig.vms.delete("named", rig.ctx("vm.delete"));
        assertThat(rcode("named.vm.")).as("deleted while running").isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void aStartThatFailsAfterTheNameWasAddedTakesItBack() {
        List<String> answeredDuringTheStart = new ArrayList<>();
        Capability failing = new Capability() {
            @Override
            public String name() {
                return "fails last";
            }

            @Override
            public boolean actsAfterStart() {
                return true;
            }

            @Override
            public void afterStart(BootContext boot) {
                answeredDuringTheStart.add(resolve("doomed.vm."));
                throw new IllegalStateException("injected after-start failure");
            }
        };
        VMService failingLast = rig.newService(VmRig.withCapability(failing));

        assertThatThrownBy(() -> failingLast.create(VmRig.create("doomed", "bb"), rig.ctx("vm.create")))
                .hasMessageContaining("injected after-start failure");
        assertThat(answeredDuringTheStart).as("the name was published before the failure").singleElement()
                .isEqualTo(rig.store.vms().find("doomed").orElseThrow().guestIp());
        assertThat(rcode("doomed.vm.")).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rig.store.vms().find("doomed").orElseThrow().state()).isEqualTo(VmInfo.ERROR);
    }

    @Test
    void doctorInsideTheDaemonReportsTheListenerAnsweringAndNoResolverRouteInThisNamespace() {
        DoctorCheck dns = Doctor.forHost(rig.config, rig.runner, rig.root, rig.network.dns()).run().stream()
                .filter(r -> r.name().equals("dns listener")).findFirst().orElseThrow();
        assertThat(dns.details().getFirst()).startsWith("listener: answering <name>.vm on ")
                .contains(server().getAddress().getHostAddress() + ":" + server().getPort());
        assertThat(dns.status()).as("the test JVM's own network namespace: no resolver route").isEqualTo(DoctorCheck.WARN);
        assertThat(dns.fix()).anyMatch(l -> l.contains("docs/dns.md"));
    }

    private InetSocketAddress server() {
        return rig.network.dns().orElseThrow().listening().orElseThrow();
    }

    private String resolve(String name) {
        Message m = DnsClient.query(server(), name, Type.A, false);
        assertThat(m.getRcode()).as(name).isEqualTo(Rcode.NOERROR);
        return ((ARecord) m.getSection(Section.ANSWER).getFirst()).getAddress().getHostAddress();
    }

    private int rcode(String name) {
        return DnsClient.query(server(), name, Type.A, false).getRcode();
    }
}
