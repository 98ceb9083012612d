package dev.banger.daemon.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.config.Config;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.CommandRunner;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real bridges and taps, made with real {@code ip} inside the test JVM's private network namespace. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostNetworkTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner = new CommandRunner();
    private final List<String> bridges = new ArrayList<>();
    /** Closed after each test: a bridge that comes up starts the guests' DNS listener on its address. */
    private final List<HostNetwork> networks = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void removeLinks() {
        networks.forEach(HostNetwork::close);
        for (String link : linkNames()) {
            if (link.startsWith("tap-fc-") || bridges.contains(link)) {
                runner.run("ip", "link", "del", link);
            }
        }
    }

    @Test
    void ensureBridgeCreatesTheBridgeWithItsAddressAndBringsItUp() {
        HostNetwork net = network(VmSettings.defaults());

        net.ensureBridge();

        JsonNode bridge = link("br-fc");
        assertThat(bridge.path("linkinfo").path("info_kind").asText()).isEqualTo("bridge");
        assertThat(flags(bridge)).contains("UP");
        assertThat(addresses("br-fc")).containsExactly("172.16.0.1/24");
    }

    @Test
    void aCancelCutsNeitherTheBridgeNorTheTapSetUpHalfWay() throws Exception {
        HostNetwork net = network(VmSettings.defaults());
        List<Throwable> failed = new ArrayList<>();
        Thread cancelled = new Thread(() -> {
            Thread.currentThread().interrupt(); // the operation was cancelled as the boot's network step began
            try {
                net.ensureBridge();
                net.createTap("0123456789abcdef");
            } catch (RuntimeException e) {
                failed.add(e);
            }
        });
        cancelled.start();
        cancelled.join();

        assertThat(failed).isEmpty();
        assertThat(addresses("br-fc")).as("the bridge has its address").containsExactly("172.16.0.1/24");
        assertThat(net.bridgeTaps()).as("the tap is on the bridge, where the undo and the startup sweep find it")
                .containsExactly(HostNetwork.tapName("0123456789abcdef"));
    }

    @Test
    void ensureBridgeTwiceChangesNothing() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();
        int index = link("br-fc").path("ifindex").asInt();

        net.ensureBridge();

        assertThat(link("br-fc").path("ifindex").asInt()).as("the same bridge, not a new one").isEqualTo(index);
        assertThat(addresses("br-fc")).containsExactly("172.16.0.1/24");
    }

    @Test
    void ensureBridgeRestoresAMissingAddressAndBringsADownBridgeUp() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();
        runner.run("ip", "addr", "flush", "dev", "br-fc");
        runner.run("ip", "link", "set", "br-fc", "down");

        net.ensureBridge();

        assertThat(flags(link("br-fc"))).contains("UP");
        assertThat(addresses("br-fc")).containsExactly("172.16.0.1/24");
    }

    @Test
    void ensureBridgeRefusesALinkOfThatNameThatIsNoBridge() {
        HostNetwork net = network(VmSettings.defaults());
        bridges.add("br-fc");
        runner.run("ip", "tuntap", "add", "dev", "br-fc", "mode", "tap");

        assertThatThrownBy(net::ensureBridge).isInstanceOf(BangerException.class)
                .hasMessageContaining("cannot use br-fc as the VM bridge: it exists and is a tun interface, not a bridge");
    }

    @Test
    void aCustomBridgeNameAndSubnet() {
        HostNetwork net = network(VmSettings.defaults().withBridge("br-fc-test", "10.77.0.1", 16));

        net.ensureBridge();
        String tap = net.createTap("abcdef0123456789");

        assertThat(addresses("br-fc-test")).containsExactly("10.77.0.1/16");
        assertThat(link(tap).path("master").asText()).isEqualTo("br-fc-test");
        assertThat(linkNames()).doesNotContain("br-fc");
    }

    @Test
    void createTapAttachesAnUpTapToTheBridge() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();

        String tap = net.createTap("1234abcd-5678-90ef");

        assertThat(tap).isEqualTo("tap-fc-1234abcd");
        JsonNode link = link(tap);
        assertThat(link.path("linkinfo").path("info_kind").asText()).isEqualTo("tun");
        assertThat(link.path("linkinfo").path("info_data").path("type").asText()).isEqualTo("tap");
        assertThat(link.path("master").asText()).isEqualTo("br-fc");
        assertThat(flags(link)).contains("UP");
        assertThat(net.tapExists(tap)).isTrue();
        assertThat(HostTaps.all(runner)).containsExactly(tap);
    }

    @Test
    void createTapReplacesALeftoverTapOfTheSameName() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();
        runner.run("ip", "tuntap", "add", "dev", "tap-fc-1234abcd", "mode", "tap"); // an earlier run's, detached and down
        int leftover = link("tap-fc-1234abcd").path("ifindex").asInt();

        String tap = net.createTap("1234abcd");

        assertThat(link(tap).path("ifindex").asInt()).isNotEqualTo(leftover);
        assertThat(link(tap).path("master").asText()).isEqualTo("br-fc");
        assertThat(flags(link(tap))).contains("UP");
    }

    @Test
    void aTapForAnUnprivilegedVmProcessIsOwnedByItsUidAndGid() throws Exception {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();

        String tap = net.createTap("0badcafe", java.util.Optional.of(new int[] {4321, 8765}));

        JsonNode tun = JSON.readTree(runner.run("ip", "-d", "-j", "link", "show", tap).stdout()).get(0).path("linkinfo").path("info_data");
        assertThat(tun.path("user").asInt()).isEqualTo(4321);
        assertThat(tun.path("group").asInt()).isEqualTo(8765);
        assertThat(link(tap).path("master").asText()).isEqualTo("br-fc");
    }

    @Test
    void createTapWithoutTheBridgeSaysWhatFailedAndLeavesNoTap() {
        HostNetwork net = network(VmSettings.defaults());

        assertThatThrownBy(() -> net.createTap("1234abcd")).isInstanceOf(BangerException.class)
                .hasMessageStartingWith("cannot create tap tap-fc-1234abcd on br-fc: command `ip link set tap-fc-1234abcd master br-fc up`");
        assertThat(HostTaps.all(runner)).isEmpty();
    }

    @Test
    void deleteTapRemovesItAndASecondDeleteIsFine() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();
        String tap = net.createTap("1234abcd");

        net.deleteTap(tap);
        net.deleteTap(tap);

        assertThat(net.tapExists(tap)).isFalse();
        assertThat(linkNames()).doesNotContain(tap);
        assertThat(HostTaps.all(runner)).isEmpty();
    }

    @Test
    void tapsListsEveryBangerTapAndNothingElse() {
        HostNetwork net = network(VmSettings.defaults());
        net.ensureBridge();
        net.createTap("aaaaaaaa");
        net.createTap("bbbbbbbb");

        assertThat(HostTaps.all(runner)).containsExactlyInAnyOrder("tap-fc-aaaaaaaa", "tap-fc-bbbbbbbb");
    }

    @Test
    void tapNameFitsTheKernelsLimit() {
        assertThat(HostNetwork.tapName("0123456789abcdef0123")).isEqualTo("tap-fc-01234567").hasSize(15);
    }

    @Test
    void allocateHandsOutTheLowestFreeAddressAfterTheBridge() throws Exception {
        HostNetwork net = network(VmSettings.defaults());

        assertThat(net.allocate(Set.of())).isEqualTo(ip("172.16.0.2"));
        assertThat(net.allocate(Set.of(ip("172.16.0.2"), ip("172.16.0.3")))).isEqualTo(ip("172.16.0.4"));
        assertThat(net.allocate(Set.of(ip("172.16.0.3")))).as("a freed address is reused").isEqualTo(ip("172.16.0.2"));
    }

    @Test
    void allocateSkipsNetworkBroadcastAndBridgeAndSaysWhenTheSubnetIsFull() throws Exception {
        // A /30 has two usable addresses: .1 is the bridge, so .2 is the only guest address.
        HostNetwork net = network(VmSettings.defaults().withBridge("br-fc", "10.9.9.1", 30));
        assertThat(net.allocate(Set.of())).isEqualTo(ip("10.9.9.2"));

        assertThatThrownBy(() -> net.allocate(Set.of(ip("10.9.9.2")))).isInstanceOf(BangerException.class)
                .hasMessageContaining("no free guest address in 10.9.9.0/30")
                .hasMessageContaining("cidr");
    }

    @Test
    void allocateWrapsRoundToAddressesBelowTheBridge() throws Exception {
        HostNetwork net = network(VmSettings.defaults().withBridge("br-fc", "10.9.9.6", 29)); // hosts .1 to .6

        assertThat(net.allocate(Set.of())).as("nothing after the bridge but broadcast").isEqualTo(ip("10.9.9.1"));
        assertThat(net.allocate(Set.of(ip("10.9.9.1")))).isEqualTo(ip("10.9.9.2"));
    }

    @Test
    void macIsLocallyAdministeredAndDerivedFromTheAddress() throws Exception {
        assertThat(HostNetwork.macFor(ip("172.16.0.2"))).isEqualTo("02:fc:ac:10:00:02");
        assertThat(HostNetwork.macFor(ip("10.255.1.200"))).isEqualTo("02:fc:0a:ff:01:c8");
    }

    @Test
    void guestNetUsesTheBridgeAsGateway() throws Exception {
        GuestNet g = network(VmSettings.defaults()).guestNet(ip("172.16.0.9"));

        assertThat(g.gateway()).isEqualTo(ip("172.16.0.1"));
        assertThat(g.prefix()).isEqualTo(24);
        assertThat(g.cidrAddress()).isEqualTo("172.16.0.9/24");
    }

    private HostNetwork network(VmSettings settings) {
        bridges.add(settings.bridgeName());
        HostNetwork net = new HostNetwork(Config.under(dir).withVm(settings), runner);
        networks.add(net);
        return net;
    }

    private static Inet4Address ip(String text) throws Exception {
        return (Inet4Address) InetAddress.getByName(text);
    }

    private JsonNode links() {
        try {
            return JSON.readTree(runner.run("ip", "-j", "-d", "link", "show").stdout());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private List<String> linkNames() {
        List<String> names = new ArrayList<>();
        links().forEach(l -> names.add(l.path("ifname").asText()));
        return names;
    }

    private JsonNode link(String name) {
        for (JsonNode l : links()) {
            if (l.path("ifname").asText().equals(name)) {
                return l;
            }
        }
        throw new AssertionError("no link " + name + " among " + linkNames());
    }

    private static List<String> flags(JsonNode link) {
        List<String> flags = new ArrayList<>();
        link.path("flags").forEach(f -> flags.add(f.asText()));
        return flags;
    }

    private List<String> addresses(String device) {
        List<String> out = new ArrayList<>();
        try {
            for (JsonNode l : JSON.readTree(runner.run("ip", "-j", "-4", "addr", "show", "dev", device).stdout())) {
                l.path("addr_info").forEach(a -> out.add(a.path("local").asText() + "/" + a.path("prefixlen").asInt()));
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return out;
    }
}
