package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.network.nat.TestInternet;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code --nat} with real guests: busybox VMs under QEMU on the bridge of the test JVM's private
 * network namespace, and a second namespace playing the internet (a web server at 203.0.113.10
 * that cannot route back to the guests' subnet). A NAT VM fetches the server's page, a VM without
 * NAT cannot; the VM's rules come and go with its runs and are rebuilt after a daemon restart.
 */
class VmNatTest extends BusyboxVmTest {

    TestInternet internet;

    @BeforeAll
    void setUp() {
        internet = TestInternet.start(dir.resolve("internet"));
    }

    @AfterEach
    void deleteVmsAndFlushRules() {
        deleteAllVms();
        rig.runner.run("iptables", "-w", "-P", "FORWARD", "ACCEPT");
        rig.runner.run("nft", "flush", "ruleset");
    }

    @AfterAll
    void tearDown() {
        if (internet != null) {
            internet.close();
        }
    }

    @Test
    void aNatVmReachesTheInternetAPlainOneDoesNotAndTheRulesFollowStopStartRestartAndDelete() {
        VmInfo vm = rig.vms.create(nat("out"), rig.ctx("vm.create"));
        assertThat(vm.nat()).isTrue();
        assertThat(rig.progress).anyMatch(p -> p.contains("stage=nat,"));
        VmInfo plain = rig.vms.create(VmRig.create("plain", "bb"), rig.ctx("vm.create"));
        assertThat(plain.nat()).isFalse();
        // Counts what the host forwards out of the plain guest's address (a probe table of the test's own).
        String probe = "add table ip natprobe\n"
                + "add chain ip natprobe post { type filter hook postrouting priority 200; policy accept; }\n"
                + "add rule ip natprobe post ip saddr " + plain.guestIp() + " oifname != \"" + rig.config.vm().bridgeName()
                + "\" counter\n";
        rig.runner.run(Command.of("nft", "-f", "-").withStdin(probe.getBytes(StandardCharsets.UTF_8)));

        assertThat(fetch(vm).stdout()).contains(internet.marker());
        ExecResult refused = fetch(plain);
        assertThat(refused.exitCode()).as("no answer comes back to an address that is not masqueraded").isNotZero();
        assertThat(refused.stdout()).doesNotContain(internet.marker());
        assertThat(rig.runner.run("nft", "list", "table", "ip", "natprobe").stdout())
                .as("banger's forward chain lets nothing of a guest without NAT leave, not even unmasqueraded").contains("packets 0 ");
        rig.runner.run("nft", "delete", "table", "ip", "natprobe");
        assertThat(count(natTable(), "banger:" + vm.id())).as(ruleset()).isEqualTo(3);
        assertThat(natTable()).as("no masquerade or accept for the plain guest").doesNotContain(plain.guestIp() + " oifname")
                .doesNotContain(plain.guestIp() + " accept").doesNotContain(plain.guestIp() + " ct state");

        rig.vms.stop("out", rig.ctx("vm.stop"));
        assertThat(ruleset()).as("stop leaves no trace").doesNotContain(vm.guestIp() + " ").doesNotContain(vm.id());

        rig.vms.start("out", rig.ctx("vm.start"));
        assertThat(count(natTable(), "banger:" + vm.id())).as("start makes them again, once").isEqualTo(3);
        assertThat(fetch(vm).stdout()).contains(internet.marker());

        rig.runner.run("nft", "delete", "table", "ip", "banger"); // a firewall reload while bangerd is down
        rig.restart();
        assertThat(rig.vms.show("out").state()).isEqualTo(VmInfo.RUNNING);
        assertThat(count(natTable(), "banger:" + vm.id())).as("rebuilt when the running VM is adopted").isEqualTo(3);
        assertThat(fetch(vm).stdout()).contains(internet.marker());
        rig.restart();
        assertThat(count(natTable(), "banger:" + vm.id())).as("an adopt with the rules in place adds none").isEqualTo(3);

        rig.vms.delete("out", rig.ctx("vm.delete"));
        assertThat(ruleset()).as("delete leaves no trace").doesNotContain(vm.guestIp() + " ").doesNotContain(vm.id());
    }

    @Test
    void aHostWhoseForwardChainDropsByDefaultGetsTheRulesInIptablesAndTheGuestStillGetsOut() {
        rig.runner.run("iptables", "-w", "-P", "FORWARD", "DROP"); // what docker does to a host
        VmInfo vm = rig.vms.create(nat("docker"), rig.ctx("vm.create"));

        assertThat(fetch(vm).stdout()).contains(internet.marker());
        assertThat(count(iptablesSave(), "banger:" + vm.id())).as(iptablesSave()).isEqualTo(3);
        assertThat(natTable()).as("nothing in banger's nftables table").doesNotContain("banger:" + vm.id() + "\" ");

        rig.vms.kill("docker", rig.ctx("vm.kill"));
        assertThat(iptablesSave()).doesNotContain(vm.id()).doesNotContain(vm.guestIp() + "/");
    }

    @Test
    void withoutNftOrIptablesNatIsRefusedWithThePackageToInstallAndNothingIsLeft() {
        VMService noTools = rig.newService(rig.config,
                new HostNetwork(rig.config, rig.runner, new NatRules.Programs("/nonexistent/nft", "/nonexistent/iptables")),
                rig.runner, UnaryOperator.identity());

        assertThatThrownBy(() -> noTools.create(nat("early"), rig.ctx("vm.create")))
                .isInstanceOf(BangerException.class).hasMessageContaining("apt-get install nftables");
        assertThat(rig.store.vms().find("early")).as("refused before anything is reserved").isEmpty();

        VmInfo created = rig.vms.create(new VmApi.CreateParams("later", "bb", null, 1, "256", "256M", true, true, null),
                rig.ctx("vm.create"));
        assertThatThrownBy(() -> noTools.start("later", rig.ctx("vm.start")))
                .hasMessageContaining("NAT needs nftables or iptables").hasMessageContaining("apt-get install nftables");
        assertThat(rig.taps()).doesNotContain(HostNetwork.tapName(created.id()));
        assertThat(rig.hypervisorProcesses()).isEmpty();
        assertThat(ruleset()).doesNotContain(created.guestIp() + " ");
        assertThat(rig.vms.show("later").lastError()).contains("apt-get install nftables");

        VmInfo plain = rig.vms.create(new VmApi.CreateParams("off", "bb", null, 1, "256", "256M", true, null, null),
                rig.ctx("vm.create"));
        assertThatThrownBy(() -> noTools.set(new VmApi.SetParams("off", null, null, null, true, null)))
                .hasMessageContaining("apt-get install nftables");
        assertThat(rig.vms.show("off").nat()).isFalse();
        assertThat(rig.vms.set(new VmApi.SetParams(plain.name(), null, null, null, true, null)).nat()).isTrue();
        assertThat(rig.vms.set(new VmApi.SetParams(plain.name(), null, null, null, false, null)).nat()).isFalse();
    }

    @Test
    void turningNatOffOnAStoppedVmRemovesRulesAnIncompleteTeardownLeft() throws Exception {
        VmInfo vm = rig.vms.create(new VmApi.CreateParams("leftover", "bb", null, 1, "256", "256M", true, true, null),
                rig.ctx("vm.create"));
        rig.network.nat().enable(vm.id(), (Inet4Address) InetAddress.getByName(vm.guestIp()));
        assertThat(count(natTable(), "banger:" + vm.id())).isEqualTo(3);

        assertThat(rig.vms.set(new VmApi.SetParams("leftover", null, null, null, false, null)).nat()).isFalse();
        assertThat(ruleset()).doesNotContain(vm.id()).doesNotContain(vm.guestIp() + " ");
    }

    private static VmApi.CreateParams nat(String name) {
        return new VmApi.CreateParams(name, "bb", null, 1, "256", "256M", false, true, null);
    }

    /** The test internet's page, fetched inside the guest; timeout keeps an unanswered SYN short (busybox 1.35's wget -T crashes). */
    private ExecResult fetch(VmInfo vm) {
        return rig.ssh(vm, "timeout 5 wget -q -O- " + internet.url(), Duration.ofSeconds(20));
    }

    private String ruleset() {
        return rig.runner.run("nft", "list", "ruleset").stdout();
    }

    /** NAT's own table (the guard's rules in {@code bridge banger} carry the VM's tag too); empty when there is none. */
    private String natTable() {
        var listed = rig.runner.runAllowingFailure(Command.of("nft", "list", "table", "ip", "banger"));
        return listed.ok() ? listed.stdout() : "";
    }

    private String iptablesSave() {
        return rig.runner.run("iptables-save").stdout();
    }

    private static int count(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }
}
