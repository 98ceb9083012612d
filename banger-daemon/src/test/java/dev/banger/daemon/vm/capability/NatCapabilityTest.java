package dev.banger.daemon.vm.capability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.network.nat.NatRules;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What doctor prints for NAT: the tool it would use, or the package to install; and IPv4 forwarding. */
class NatCapabilityTest {

    private static final CommandRunner RUNNER = new CommandRunner();

    @Test
    void aHostWithNftPassesNamingTheToolAndItsTable() {
        List<HostRequirement> found = new NatCapability(new NatRules(RUNNER, "br-fc", NatRules.Programs.DEFAULT)).requirements();

        assertThat(found.getFirst().name()).isEqualTo("nat: nftables");
        assertThat(found.getFirst().status()).isEqualTo(HostRequirement.Status.PASS);
        assertThat(found.getFirst().detail()).anyMatch(d -> d.contains("/nft")).anyMatch(d -> d.contains("ip banger"));
        assertThat(found.get(1).name()).isEqualTo("nat: ip forwarding");
        assertThat(found.get(1).detail().getFirst()).matches("net.ipv4.ip_forward is [01].*");
    }

    @Test
    void aHostWithoutNftOrIptablesFailsWithThePackageToInstall() {
        var nat = new NatRules(RUNNER, "br-fc", new NatRules.Programs("/nonexistent/nft", "/nonexistent/iptables"));

        HostRequirement tool = new NatCapability(nat).requirements().getFirst();

        assertThat(tool.status()).isEqualTo(HostRequirement.Status.FAIL);
        assertThat(tool.detail()).contains("fix: apt-get install nftables");
    }
}
