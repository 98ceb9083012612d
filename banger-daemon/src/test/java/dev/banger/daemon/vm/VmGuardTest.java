package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.capability.Capability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard on each guest's tap, with two real busybox guests under QEMU on the bridge of the test
 * JVM's private network namespace. What reaches the host is counted by a probe table of the test's
 * own ({@code ip guardprobe}, input hook), so a spoofed packet is judged where it would do harm; each
 * spoofing check is repeated with the guard taken away, where the packets must arrive, so the test
 * can fail. Each test starts from two running, isolated VMs {@code a} and {@code b}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmGuardTest {

    private static final String SPOOFED_IP = "172.16.0.99";
    @TempDir
    static Path dir;
    VmRig rig;
    String host;
    /** What the guest's MAC-changing script printed, for failure messages. */
    String macSpoofLog = "";

    @BeforeAll
    void setUp() {
        rig = VmRig.withBusybox(dir);
        host = rig.config.vm().bridgeAddress().getHostAddress();
    }

    @AfterAll
    void tearDown() {
        if (rig != null) {
            rig.close();
            assertThat(guardTable()).as("no VM left, no guard rule left").doesNotContain("banger:");
        }
        new CommandRunner().run("nft", "flush", "ruleset");
    }

    @Test
    void defaultVmsReachTheHostButNotEachOtherNeitherAcrossTheBridgeNorThroughTheHostsRouting() throws Exception {
        VmInfo a = running("ga");
        VmInfo b = running("gb");
        assertThat(count(guardTable(), "\"banger:" + a.id() + "\"")).as(guardTable()).isEqualTo(7);
        assertThat(reaches(a, host)).as("the host, by the bridge's address").isTrue();
        assertThat(reaches(b, host)).isTrue();
        assertThat(reaches(a, b.guestIp())).as("isolated by default").isFalse();
        assertThat(reaches(b, a.guestIp())).isFalse();

        // Through the host instead: each guest routes the other's address via the bridge address.
        Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1\n");
        rig.ssh(a, "ip route add " + b.guestIp() + "/32 via " + host, Duration.ofSeconds(10));
        rig.ssh(b, "ip route add " + a.guestIp() + "/32 via " + host, Duration.ofSeconds(10));
        try {
            assertThat(reaches(a, b.guestIp())).as("isolated through the host's routing too").isFalse();
            rig.network.guard().remove(a.id());
            rig.network.guard().remove(b.id());
            assertThat(reaches(a, b.guestIp())).as("without the guard the host routes them to each other").isTrue();
        } finally {
            guard(a);
            guard(b);
            rig.ssh(a, "ip route del " + b.guestIp() + "/32", Duration.ofSeconds(10));
            rig.ssh(b, "ip route del " + a.guestIp() + "/32", Duration.ofSeconds(10));
        }
    }

    @Test
    void aGuestSendingFromAnotherAddressOrMacGetsNothingToTheHostWhichItWouldWithoutTheGuard() throws Exception {
        VmInfo a = running("ga");
        VmInfo b = running("gb");
        probeTable(a, b);
        try {
            spoof(a, b);
            assertThat(packets("spoofed-ip")).as(probes()).isZero();
            assertThat(packets("as-b")).as("a NAT guest's address, say").isZero();
            assertThat(packets("spoofed-mac")).as(macSpoofLog).isZero();
            assertThat(hostNeighbour(b)).as("the host's ARP entry for b is not poisoned").contains(b.mac());
            assertThat(reaches(a, host)).as("a is reachable again once done").isTrue();

            rig.network.guard().remove(a.id());
            spoof(a, b);
            assertThat(packets("spoofed-ip")).as("without the guard\n" + probes()).isPositive();
            assertThat(packets("as-b")).isPositive();
            assertThat(packets("spoofed-mac")).as(macSpoofLog).isPositive();
            assertThat(hostNeighbour(b)).contains(a.mac());
        } finally {
            rig.runner.run("nft", "delete", "table", "ip", "guardprobe");
            rig.runner.run("ip", "neigh", "flush", "dev", rig.config.vm().bridgeName());
            guard(a);
        }
    }

    @Test
    void twoNoIsolateVmsTalkAndAnIsolatedOneStaysApartFromAnOpenOne() {
        VmInfo a = running("ga");
        VmInfo b = running("gb");
        try {
            for (VmInfo vm : new VmInfo[] {a, b}) {
                rig.vms.stop(vm.id(), rig.ctx("vm.stop"));
                assertThat(rig.vms.set(new VmApi.SetParams(vm.name(), null, null, null, null, false)).isolate()).isFalse();
                rig.vms.start(vm.id(), rig.ctx("vm.start"));
            }
            assertThat(count(guardTable(), "\"banger:" + a.id() + "\"")).as("no isolation drops\n" + guardTable()).isEqualTo(3);
            assertThat(reaches(a, b.guestIp())).as("both --no-isolate").isTrue();
            assertThat(reaches(b, a.guestIp())).isTrue();

            rig.vms.stop("ga", rig.ctx("vm.stop"));
            rig.vms.set(new VmApi.SetParams("ga", null, null, null, null, true));
            rig.vms.start("ga", rig.ctx("vm.start"));
            assertThat(reaches(b, a.guestIp())).as("an open VM does not reach an isolated one").isFalse();
            assertThat(reaches(a, b.guestIp())).as("nor the isolated one an open one").isFalse();
            assertThat(reaches(a, host)).isTrue();
        } finally {
            running("ga");
            running("gb");
        }
    }

    @Test
    void theGuardIsRebuiltOnAdoptAndGoneAfterStopAFailedStartAndDelete() {
        VmInfo a = running("ga");
        VmInfo b = running("gb");
        rig.runner.run("nft", "delete", "table", "bridge", "banger"); // a firewall reload while bangerd is down
        rig.restart();
        assertThat(count(guardTable(), "\"banger:" + a.id() + "\"")).as("rebuilt when the running VM is adopted").isEqualTo(7);
        assertThat(reaches(b, a.guestIp())).isFalse();
        rig.restart();
        assertThat(count(guardTable(), "\"banger:" + a.id() + "\"")).as("an adopt with the rules in place adds none").isEqualTo(7);

        rig.vms.stop("ga", rig.ctx("vm.stop"));
        assertThat(guardTable()).as("stop").doesNotContain(a.id()).contains("banger:" + b.id());

        VMService sour = rig.newService(VmRig.withCapability(new FailingAfterGuard()));
        assertThatThrownBy(() -> sour.start("ga", rig.ctx("vm.start"))).hasMessageContaining("refused after the guard");
        assertThat(guardTable()).as("a failed start").doesNotContain(a.id());

        rig.vms.delete("gb", rig.ctx("vm.delete"));
        rig.vms.delete("ga", rig.ctx("vm.delete"));
        assertThat(guardTable()).as("delete").doesNotContain("banger:");
    }

    @Test
    void withoutNftCreateAndStartAreRefusedNamingThePackageAndLeaveNothing() {
        VMService noNft = rig.newService(rig.config, new HostNetwork(rig.config, rig.runner, new NatRules.Programs("/nonexistent/nft", "iptables")),
                rig.runner, UnaryOperator.identity());
        assertThatThrownBy(() -> noNft.create(VmRig.create("early", "bb"), rig.ctx("vm.create")))
                .hasMessageContaining("`/nonexistent/nft` is not installed").hasMessageContaining("apt-get install nftables");
        assertThat(rig.store.vms().find("early")).as("refused before anything is reserved").isEmpty();
        VmInfo vm = rig.vms.create(new VmApi.CreateParams("unguarded", "bb", null, 1, "256", "256M", true, null, null),
                rig.ctx("vm.create"));
        try {
            assertThatThrownBy(() -> noNft.start("unguarded", rig.ctx("vm.start")))
                    .hasMessageContaining("`/nonexistent/nft` is not installed").hasMessageContaining("apt-get install nftables");
            assertThat(rig.vms.show("unguarded").lastError()).contains("apt-get install nftables");
            assertThat(rig.taps()).doesNotContain(HostNetwork.tapName(vm.id()));
            assertThat(VmRig.hypervisorProcesses(rig.layout.vmsDir())).noneMatch(p -> p.info().arguments()
                    .map(args -> String.join(" ", args).contains(vm.id())).orElse(false));
            assertThat(guardTable()).doesNotContain(vm.id());
        } finally {
            rig.vms.delete("unguarded", rig.ctx("vm.delete"));
        }
    }

    /** A prepare-host step after the guard's that fails, so the start's undo must take the guard away. */
    private static final class FailingAfterGuard implements Capability {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public boolean preparesHost() {
            return true;
        }

        @Override
        public void prepareHost(BootContext boot) {
            throw new IllegalStateException("refused after the guard");
        }
    }

    /** Puts back the guard of a running isolated VM that the test took away. */
    private void guard(VmInfo vm) {
        rig.network.guard().apply(vm.id(), HostNetwork.tapName(vm.id()), vm.mac(), HostNetwork.storedAddress(vm.guestIp()), true);
    }

    /** The VM, running and isolated (as created by default), whatever an earlier test left. */
    private VmInfo running(String name) {
        if (rig.store.vms().find(name).isEmpty()) {
            return rig.vms.create(VmRig.create(name, "bb"), rig.ctx("vm.create"));
        }
        VmInfo vm = rig.vms.show(name);
        if (vm.running() && vm.isolate()) {
            return vm;
        }
        if (vm.running()) {
            rig.vms.stop(name, rig.ctx("vm.stop"));
        }
        rig.vms.set(new VmApi.SetParams(name, null, null, null, null, true));
        return rig.vms.start(name, rig.ctx("vm.start"));
    }

    private boolean reaches(VmInfo from, String address) {
        return rig.ssh(from, "ping -c 2 -W 3 " + address + " >/dev/null 2>&1; echo $?", Duration.ofSeconds(20)).stdout().strip()
                .equals("0");
    }

    /**
     * From {@code a}: pings the host from an address it was not given, from {@code b}'s address, an
     * ARP claiming {@code b}'s address, and (in the background, since SSH to it breaks meanwhile)
     * pings from another MAC; each kind of packet has its own size, so the probe table tells them apart.
     */
    private void spoof(VmInfo a, VmInfo b) throws InterruptedException {
        rig.runner.run("busybox", "ping", "-c", "1", "-W", "3", b.guestIp()); // the host has an ARP entry for b to poison
        rig.ssh(a, String.join("; ",
                "ip addr add " + SPOOFED_IP + "/32 dev eth0",
                "ping -c 2 -W 2 -I " + SPOOFED_IP + " " + host,
                "ip addr del " + SPOOFED_IP + "/32 dev eth0",
                "ip addr add " + b.guestIp() + "/32 dev eth0",
                "ping -c 2 -W 2 -s 1234 -I " + b.guestIp() + " " + host,
                "arping -c 2 -U -s " + b.guestIp() + " -I eth0 " + host,
                "ip addr del " + b.guestIp() + "/32 dev eth0",
                "true"), Duration.ofSeconds(30));
        String script = String.join("\n", "sleep 1", "ip link set eth0 address 02:00:00:00:00:99",
                "ping -c 3 -W 1 -s 1300 " + host, "ip link set eth0 address " + a.mac(), "echo done");
        rig.ssh(a, "printf '%s\\n' '" + script + "' > /tmp/mac.sh; setsid sh -x /tmp/mac.sh </dev/null >/tmp/mac.out 2>&1 &",
                Duration.ofSeconds(10));
        Thread.sleep(7000);
        macSpoofLog = rig.ssh(a, "cat /tmp/mac.out", Duration.ofSeconds(10)).stdout();
    }

    /** Counters in the host's IPv4 input for each kind of spoofed packet. */
    private void probeTable(VmInfo a, VmInfo b) {
        String script = "add table ip guardprobe\n"
                + "add chain ip guardprobe input { type filter hook input priority -300; policy accept; }\n"
                + "add rule ip guardprobe input ip saddr " + SPOOFED_IP + " counter comment \"spoofed-ip\"\n"
                + "add rule ip guardprobe input ip saddr " + b.guestIp() + " ip length 1262 counter comment \"as-b\"\n"
                + "add rule ip guardprobe input ip saddr " + a.guestIp() + " ip length 1328 counter comment \"spoofed-mac\"\n";
        rig.runner.run(Command.of("nft", "-f", "-").withStdin(script.getBytes(StandardCharsets.UTF_8)));
    }

    private String probes() {
        return rig.runner.run("nft", "list", "table", "ip", "guardprobe").stdout();
    }

    private long packets(String probe) {
        Matcher m = Pattern.compile("counter packets (\\d+) .*comment \"" + probe + "\"").matcher(probes());
        assertThat(m.find()).as(probes()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private String hostNeighbour(VmInfo vm) {
        return rig.runner.run("ip", "neigh", "show", vm.guestIp()).stdout();
    }

    private String guardTable() {
        var listed = rig.runner.runAllowingFailure(Command.of("nft", "-j", "list", "table", "bridge", "banger"));
        return listed.ok() ? listed.stdout() : "";
    }

    private static int count(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }
}
