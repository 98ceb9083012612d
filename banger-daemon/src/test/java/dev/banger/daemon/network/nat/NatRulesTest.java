package dev.banger.daemon.network.nat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The NAT rules themselves, with the real nft and iptables, in the test JVM's private network
 * namespace (whose ruleset every test flushes): one set of rules per VM however often it is
 * enabled, removal of exactly that VM's rules, the iptables fallback and the docker case, and a
 * host without either tool.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NatRulesTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final String BRIDGE = "br-fc";
    private static final NatRules.Programs NO_NFT = new NatRules.Programs("/nonexistent/nft", "iptables");

    @BeforeAll
    static void toolsInstalled() {
        assertThat(Files.isExecutable(Path.of("/usr/sbin/nft"))).as("nft (apt-get install nftables; scripts/host-setup.sh)").isTrue();
        assertThat(Files.isExecutable(Path.of("/usr/sbin/iptables"))).as("iptables (apt-get install iptables)").isTrue();
    }

    @AfterEach
    void flush() {
        RUNNER.run("iptables", "-w", "-P", "FORWARD", "ACCEPT");
        RUNNER.run("nft", "flush", "ruleset");
    }

    @Test
    void nftablesRulesAreOneSetPerVmHoweverOftenEnabledAndDisableRemovesExactlyThatVms() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NatRules.Programs.DEFAULT);
        assertThat(nat.choose().backend()).isEqualTo("nftables");
        RUNNER.run("sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward");

        assertThat(nat.enable("aaaa", ip("172.16.0.2"))).isEqualTo("nftables");
        nat.enable("aaaa", ip("172.16.0.2"));
        nat.enable("bbbb", ip("172.16.0.3"));

        String rules = nft("list", "table", "ip", "banger");
        assertThat(count(rules, "banger:aaaa")).as("masquerade + forward + replies, once\n" + rules).isEqualTo(3);
        assertThat(count(rules, "172.16.0.2 ")).isEqualTo(3);
        assertThat(count(rules, "banger:bbbb")).isEqualTo(3);
        assertThat(rules).contains("ip saddr 172.16.0.2 oifname != \"br-fc\" masquerade");
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip()).as("forwarding turned on").isEqualTo("1");
        assertThat(iptablesSave()).doesNotContain("banger:");

        nat.disable("aaaa");
        nat.disable("aaaa");
        rules = nft("list", "table", "ip", "banger");
        assertThat(rules).doesNotContain("172.16.0.2 ").doesNotContain("banger:aaaa");
        assertThat(count(rules, "banger:bbbb")).as("the other VM keeps its rules").isEqualTo(3);
        assertThat(nat.forwarding()).as("left on for whoever else forwards").isTrue();
    }

    @Test
    void disableWithNoRulesAndNoTableIsFine() {
        new NatRules(RUNNER, BRIDGE, NatRules.Programs.DEFAULT).disable("never");
        assertThat(nft("list", "ruleset")).doesNotContain("banger");
    }

    @Test
    void withoutNftIptablesGetsTheRulesInBangersOwnChainsOnceEach() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NO_NFT);
        assertThat(nat.choose().backend()).isEqualTo("iptables");
        assertThat(nat.choose().reason()).contains("nft is not installed");

        nat.enable("aaaa", ip("172.16.0.2"));
        nat.enable("aaaa", ip("172.16.0.2"));
        nat.enable("bbbb", ip("172.16.0.3"));

        String saved = iptablesSave();
        assertThat(count(saved, "banger:aaaa")).as(saved).isEqualTo(3);
        assertThat(saved).contains("-A BANGER-POSTROUTING -s 172.16.0.2/32 ! -o br-fc -m comment --comment \"banger:aaaa\" -j MASQUERADE");
        assertThat(count(saved, "-A POSTROUTING -j BANGER-POSTROUTING")).as("one jump").isEqualTo(1);
        assertThat(count(saved, "-A FORWARD -j BANGER-FORWARD")).isEqualTo(1);

        nat.disable("aaaa");
        saved = iptablesSave();
        assertThat(saved).doesNotContain("172.16.0.2/").doesNotContain("banger:aaaa");
        assertThat(count(saved, "banger:bbbb")).isEqualTo(3);
    }

    @Test
    void aForwardChainThatDropsByDefaultMovesTheRulesIntoIptablesAndOutOfBangersTable() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NatRules.Programs.DEFAULT);
        nat.enable("aaaa", ip("172.16.0.2"));
        assertThat(nft("list", "table", "ip", "banger")).contains("banger:aaaa");

        RUNNER.run("iptables", "-w", "-P", "FORWARD", "DROP"); // what docker does
        NatRules.Choice choice = nat.choose();
        assertThat(choice.backend()).isEqualTo("iptables");
        assertThat(choice.reason()).contains("drops by default");
        assertThat(nat.enable("aaaa", ip("172.16.0.2"))).isEqualTo("iptables");

        assertThat(nft("list", "table", "ip", "banger")).doesNotContain("banger:aaaa")
                .as("nftables' drops would drop what iptables accepts").doesNotContain(NatRules.CONFINE_TAG);
        String saved = iptablesSave();
        assertThat(count(saved, "banger:aaaa")).isEqualTo(3);
        assertThat(count(saved, NatRules.CONFINE_TAG)).isEqualTo(2);
        assertThat(saved.lines().filter(l -> l.startsWith("-A FORWARD")).findFirst()).as("banger's accepts come before any drop")
                .contains("-A FORWARD -j BANGER-FORWARD");

        nat.disable("aaaa");
        assertThat(iptablesSave()).doesNotContain("banger:aaaa");
    }

    @Test
    void nftablesForwardChainAcceptsEachVmsTrafficAndThenDropsAnythingElseBetweenTheBridgeAndElsewhereOnce() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NatRules.Programs.DEFAULT);
        nat.confine(null, ""); // a start of a VM without NAT: the drops alone
        assertThat(nft("list", "chain", "ip", "banger", "forward"))
                .contains("iifname \"br-fc\" oifname != \"br-fc\" drop comment \"banger:confine\"")
                .contains("iifname != \"br-fc\" oifname \"br-fc\" drop comment \"banger:confine\"");
        nat.enable("aaaa", ip("172.16.0.2"));
        nat.confine(null, "");
        nat.enable("bbbb", ip("172.16.0.3"));
        nat.enable("aaaa", ip("172.16.0.2"));

        List<String> forward = nft("list", "chain", "ip", "banger", "forward").lines().map(String::strip)
                .filter(l -> l.contains("comment")).toList();
        assertThat(forward).as("four accepts, then the two drops, once\n" + forward).hasSize(6);
        assertThat(forward.subList(0, 4)).allMatch(l -> l.endsWith("accept comment \"banger:aaaa\"")
                || l.endsWith("accept comment \"banger:bbbb\""));
        assertThat(forward.subList(4, 6)).allMatch(l -> l.endsWith("drop comment \"banger:confine\""));

        nat.disable("aaaa");
        nat.disable("bbbb");
        assertThat(count(nft("list", "table", "ip", "banger"), NatRules.CONFINE_TAG)).as("the drops outlive the last VM, like the chains")
                .isEqualTo(2);
    }

    @Test
    void iptablesForwardChainAcceptsEachVmsTrafficAndThenDropsAnythingElseBetweenTheBridgeAndElsewhereOnce() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NO_NFT);
        nat.enable("aaaa", ip("172.16.0.2"));
        nat.confine(null, "");
        nat.enable("bbbb", ip("172.16.0.3"));

        List<String> forward = RUNNER.run("iptables", "-w", "-S", IptablesNat.FORWARD).stdout().lines()
                .filter(l -> l.startsWith("-A")).toList();
        assertThat(forward).as(String.join("\n", forward)).hasSize(6);
        assertThat(forward.subList(0, 4)).allMatch(l -> l.endsWith("-j ACCEPT"));
        assertThat(forward.get(4)).isEqualTo("-A BANGER-FORWARD -i br-fc ! -o br-fc -m comment --comment \"banger:confine\" -j DROP");
        assertThat(forward.get(5)).isEqualTo("-A BANGER-FORWARD ! -i br-fc -o br-fc -m comment --comment \"banger:confine\" -j DROP");
    }

    @Test
    void aStartsConfineAppliesTheGuardsLinesAndTheRefusalTogetherAndMovesTheDropsToTheChosenTool() throws Exception {
        NatRules nat = new NatRules(RUNNER, BRIDGE, NatRules.Programs.DEFAULT);
        String guardTable = "add table bridge banger\nadd chain bridge banger output { type filter hook output priority filter; }\n";
        nat.confine(new NatRules.Refused("aaaa", ip("172.16.0.2")), guardTable
                + "add rule bridge banger output oifname \"tap-fc-aaaa\" drop comment \"banger:aaaa\"\n");
        nat.confine(new NatRules.Refused("aaaa", ip("172.16.0.2")), guardTable);
        assertThat(nft("list", "table", "bridge", "banger")).as("the guard's lines went in with NAT's").contains("banger:aaaa");
        String table = nft("list", "table", "ip", "banger");
        assertThat(count(table, "\"banger:aaaa\"")).as("one refusal however often started\n" + table).isEqualTo(2);
        assertThat(count(table, NatRules.CONFINE_TAG)).isEqualTo(2);

        RUNNER.run("iptables", "-w", "-P", "FORWARD", "DROP"); // docker came
        nat.confine(null, guardTable);
        assertThat(nft("list", "table", "ip", "banger")).as("nftables' drops would drop what iptables accepts")
                .doesNotContain(NatRules.CONFINE_TAG).contains("banger:aaaa");
        assertThat(count(iptablesSave(), NatRules.CONFINE_TAG)).isEqualTo(2);

        RUNNER.run("iptables", "-w", "-P", "FORWARD", "ACCEPT"); // docker went
        nat.confine(null, "");
        assertThat(iptablesSave()).doesNotContain(NatRules.CONFINE_TAG);
        assertThat(count(nft("list", "table", "ip", "banger"), NatRules.CONFINE_TAG)).isEqualTo(2);

        nat.disable("aaaa", "delete table bridge banger\n");
        assertThat(nft("list", "ruleset")).as("the refusal and the other table's lines went together").doesNotContain("banger:aaaa")
                .doesNotContain("table bridge banger");
    }

    @Test
    void noFirewallToolIsAClearErrorNamingThePackageAndChangesNothing() {
        NatRules nat = new NatRules(RUNNER, BRIDGE, new NatRules.Programs("/nonexistent/nft", "/nonexistent/iptables"));

        assertThatThrownBy(() -> nat.enable("aaaa", ip("172.16.0.2")))
                .isInstanceOf(BangerException.class)
                .hasMessageContaining("NAT needs nftables or iptables")
                .hasMessageContaining("apt-get install nftables");
        nat.disable("aaaa");
        assertThat(nft("list", "ruleset")).doesNotContain("banger");
    }

    private static String nft(String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = "nft";
        System.arraycopy(args, 0, argv, 1, args.length);
        return RUNNER.run(argv).stdout();
    }

    private static String iptablesSave() {
        return RUNNER.run(Command.of("iptables-save")).stdout();
    }

    private static int count(String text, String needle) {
        return (int) Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }

    private static Inet4Address ip(String text) throws UnknownHostException {
        return (Inet4Address) InetAddress.getByName(text);
    }
}
