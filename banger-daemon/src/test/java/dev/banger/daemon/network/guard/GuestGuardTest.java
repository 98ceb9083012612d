package dev.banger.daemon.network.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.CommandRunner;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The guard's rules: their text, and the real nft in the test JVM's private network namespace
 * (whose ruleset every test flushes): one set per VM however often applied, removal of exactly that
 * VM's, and a host without nft. What the rules do to a guest's frames is VmGuardTest's.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GuestGuardTest {

    private static final CommandRunner RUNNER = new CommandRunner();

    @AfterEach
    void flush() {
        RUNNER.run("nft", "flush", "ruleset");
    }

    @Test
    void aVmsTapAcceptsOnlyItsOwnMacWithItsOwnIpv4OrArpAndIsolationDropsOtherGuestsBothWays() {
        var vm = new GuestGuard.Vm("banger:aaaa", "tap-fc-aaaa", "02:fc:ac:10:00:02", "172.16.0.2");
        String own = """
                add rule bridge banger prerouting iifname "tap-fc-aaaa" ether saddr 02:fc:ac:10:00:02 ip saddr 172.16.0.2 accept comment "banger:aaaa"
                add rule bridge banger prerouting iifname "tap-fc-aaaa" ether saddr 02:fc:ac:10:00:02 arp saddr ether 02:fc:ac:10:00:02 \
                arp saddr ip 172.16.0.2 accept comment "banger:aaaa"
                add rule bridge banger prerouting iifname "tap-fc-aaaa" drop comment "banger:aaaa"
                """;
        assertThat(guard("nft").rules(vm, false)).isEqualTo(own);
        assertThat(guard("nft").rules(vm, true)).isEqualTo("""
                add rule bridge banger prerouting iifname "tap-fc-aaaa" ip daddr 172.16.0.1/24 ip daddr != 172.16.0.1 drop comment "banger:aaaa"
                """ + own + """
                add rule bridge banger forward iifname "tap-fc-aaaa" oifname "tap-fc-*" drop comment "banger:aaaa"
                add rule bridge banger forward iifname "tap-fc-*" oifname "tap-fc-aaaa" drop comment "banger:aaaa"
                add rule bridge banger output oifname "tap-fc-aaaa" ip saddr 172.16.0.1/24 ip saddr != 172.16.0.1 drop comment "banger:aaaa"
                """);
    }

    @Test
    void applyingTwiceLeavesOneSetAndRemoveTakesExactlyThatVmsRules() throws Exception {
        GuestGuard guard = guard("nft");
        guard.apply("aaaa", "tap-fc-aaaa", "02:fc:ac:10:00:02", ip("172.16.0.2"), true);
        guard.apply("aaaa", "tap-fc-aaaa", "02:fc:ac:10:00:02", ip("172.16.0.2"), true);
        guard.apply("bbbb", "tap-fc-bbbb", "02:fc:ac:10:00:03", ip("172.16.0.3"), false);

        String table = RUNNER.run("nft", "list", "table", "bridge", "banger").stdout();
        assertThat(count(table, "\"banger:aaaa\"")).as(table).isEqualTo(7);
        assertThat(count(table, "\"banger:bbbb\"")).as("no isolation drops for an open VM").isEqualTo(3);
        assertThat(table).contains("type filter hook prerouting priority filter; policy accept;")
                .contains("type filter hook forward priority filter; policy accept;")
                .contains("type filter hook output priority filter; policy accept;");

        guard.apply("aaaa", "tap-fc-aaaa", "02:fc:ac:10:00:02", ip("172.16.0.2"), false);
        assertThat(count(RUNNER.run("nft", "list", "table", "bridge", "banger").stdout(), "\"banger:aaaa\""))
                .as("a start after `vm set --no-isolate` replaces the set").isEqualTo(3);

        guard.remove("aaaa");
        guard.remove("aaaa");
        table = RUNNER.run("nft", "list", "table", "bridge", "banger").stdout();
        assertThat(table).doesNotContain("banger:aaaa").doesNotContain("tap-fc-aaaa");
        assertThat(count(table, "\"banger:bbbb\"")).as("the other VM keeps its guard").isEqualTo(3);
    }

    @Test
    void removeWithNoTableIsFineAndTheProbeChangesNothing() {
        GuestGuard guard = guard("nft");
        guard.remove("never");
        assertThat(guard.probe()).contains("/nft").contains("table bridge banger can be applied");
        assertThat(RUNNER.run("nft", "list", "ruleset").stdout()).doesNotContain("banger");
    }

    @Test
    void withoutNftTheGuardIsRefusedNamingThePackageAndRemoveIsFine() {
        GuestGuard guard = guard("/nonexistent/nft");
        assertThatThrownBy(() -> guard.apply("aaaa", "tap-fc-aaaa", "02:fc:ac:10:00:02", ip("172.16.0.2"), true))
                .isInstanceOf(BangerException.class).hasMessageContaining("`/nonexistent/nft` is not installed")
                .hasMessageContaining("apt-get install nftables");
        assertThatThrownBy(guard::probe).hasMessageContaining("apt-get install nftables");
        guard.remove("aaaa");
        assertThat(RUNNER.run("nft", "list", "ruleset").stdout()).doesNotContain("banger");
    }

    private static GuestGuard guard(String nft) {
        return new GuestGuard(RUNNER, nft, "tap-fc-", ip("172.16.0.1"), 24);
    }

    private static int count(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }

    private static Inet4Address ip(String text) {
        try {
            return (Inet4Address) InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
