package dev.banger.daemon.vm.capability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.forward.ForwardRules;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How many firewall processes the network capabilities fork for a default VM (isolated, no NAT,
 * no port forwards), with the real nft and iptables in the test JVM's private network namespace,
 * and the rules they leave (the same as when each rule kind listed the table and changed it on its
 * own). Adopt runs the same rule changes as a start's prepare-host steps (which
 * need a tap the boot made).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NetworkNftProcessesTest {

    private static final CommandRunner REAL = new CommandRunner();

    /** The real runner, noting each program it runs. */
    private static final class Recording extends CommandRunner {
        final List<String> programs = Collections.synchronizedList(new ArrayList<>());

        @Override
        public CommandResult runAllowingFailure(Command command, Consumer<String> stdoutLines) {
            programs.add(Path.of(command.argv().getFirst()).getFileName() + " " + String.join(" ", command.argv().subList(1,
                    command.argv().size())));
            return super.runAllowingFailure(command, stdoutLines);
        }

        List<String> take() {
            List<String> taken = List.copyOf(programs);
            programs.clear();
            return taken;
        }
    }

    /** The rules with the two VMs started, as bangerd made them before their changes were batched. */
    private static final String STARTED = """
                table bridge banger {
                \tchain prerouting {
                \t\ttype filter hook prerouting priority filter; policy accept;
                \t\tiifname "tap-fc-fedcba98" ip daddr 172.16.0.0/24 ip daddr != 172.16.0.1 drop comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-fedcba98" ether saddr 02:fc:ac:10:00:03 ip saddr 172.16.0.3 accept comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-fedcba98" ether saddr 02:fc:ac:10:00:03 arp saddr ether 02:fc:ac:10:00:03 arp saddr ip 172.16.0.3 accept comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-fedcba98" drop comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-01234567" ip daddr 172.16.0.0/24 ip daddr != 172.16.0.1 drop comment "banger:0123456789abcdef"
                \t\tiifname "tap-fc-01234567" ether saddr 02:fc:ac:10:00:02 ip saddr 172.16.0.2 accept comment "banger:0123456789abcdef"
                \t\tiifname "tap-fc-01234567" ether saddr 02:fc:ac:10:00:02 arp saddr ether 02:fc:ac:10:00:02 arp saddr ip 172.16.0.2 accept comment "banger:0123456789abcdef"
                \t\tiifname "tap-fc-01234567" drop comment "banger:0123456789abcdef"
                \t}

                \tchain forward {
                \t\ttype filter hook forward priority filter; policy accept;
                \t\tiifname "tap-fc-fedcba98" oifname "tap-fc-*" drop comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-*" oifname "tap-fc-fedcba98" drop comment "banger:fedcba9876543210"
                \t\tiifname "tap-fc-01234567" oifname "tap-fc-*" drop comment "banger:0123456789abcdef"
                \t\tiifname "tap-fc-*" oifname "tap-fc-01234567" drop comment "banger:0123456789abcdef"
                \t}

                \tchain output {
                \t\ttype filter hook output priority filter; policy accept;
                \t\toifname "tap-fc-fedcba98" ip saddr 172.16.0.0/24 ip saddr != 172.16.0.1 drop comment "banger:fedcba9876543210"
                \t\toifname "tap-fc-01234567" ip saddr 172.16.0.0/24 ip saddr != 172.16.0.1 drop comment "banger:0123456789abcdef"
                \t}
                }
                table ip banger {
                \tchain postrouting {
                \t\ttype nat hook postrouting priority srcnat; policy accept;
                \t}

                \tchain forward {
                \t\ttype filter hook forward priority filter; policy accept;
                \t\tiifname "br-fc" oifname != "br-fc" drop comment "banger:confine"
                \t\tiifname != "br-fc" oifname "br-fc" drop comment "banger:confine"
                \t}

                \tchain refuse {
                \t\ttype filter hook prerouting priority filter; policy accept;
                \t\tiifname "br-fc" ip saddr 172.16.0.3 ct direction original fib daddr type != { local, broadcast, multicast } fib daddr oifname != "br-fc" reject with tcp reset comment "banger:fedcba9876543210"
                \t\tiifname "br-fc" ip saddr 172.16.0.3 ct direction original fib daddr type != { local, broadcast, multicast } fib daddr oifname != "br-fc" reject with icmp admin-prohibited comment "banger:fedcba9876543210"
                \t\tiifname "br-fc" ip saddr 172.16.0.2 ct direction original fib daddr type != { local, broadcast, multicast } fib daddr oifname != "br-fc" reject with tcp reset comment "banger:0123456789abcdef"
                \t\tiifname "br-fc" ip saddr 172.16.0.2 ct direction original fib daddr type != { local, broadcast, multicast } fib daddr oifname != "br-fc" reject with icmp admin-prohibited comment "banger:0123456789abcdef"
                \t}
                }
                """;

    /** The first VM deleted: the same without its rules (the other VM's and the shared ones stay). */
    private static final String DELETED = STARTED.lines().filter(l -> !l.contains("banger:0123456789abcdef"))
            .collect(Collectors.joining("\n", "", "\n"));


    @AfterEach
    void flush() {
        REAL.run("nft", "flush", "ruleset");
    }

    @Test
    void aDefaultVmsStartAndDeleteForkFewFirewallProcessesAndLeaveTheSameRules() throws Exception {
        Recording runner = new Recording();
        Inet4Address host = (Inet4Address) InetAddress.getByName("172.16.0.1");
        NatRules nat = new NatRules(runner, "br-fc", NatRules.Programs.DEFAULT);
        Capabilities capabilities = new Capabilities(List.of(new NatCapability(nat),
                new GuardCapability(new GuestGuard(runner, "nft", HostNetwork.TAP_PREFIX, host, 24), nat),
                new ForwardCapability(new ForwardRules(runner, "nft", "br-fc"), id -> List.of())));
        Instant now = Instant.now();
        VmInfo vm = new VmInfo("0123456789abcdef", "cx", VmInfo.CREATED, "img", "bb", 1, 256, 1 << 28, "172.16.0.2",
                "02:fc:ac:10:00:02", false, true, null, now, now, null);
        VmInfo other = new VmInfo("fedcba9876543210", "cy", VmInfo.CREATED, "img", "bb", 1, 256, 1 << 28, "172.16.0.3",
                "02:fc:ac:10:00:03", false, true, null, now, now, null);
        capabilities.adopt(other, null); // a VM already running: the confining drops are made
        runner.take();

        capabilities.adopt(vm, null);
        List<String> start = runner.take();
        String started = REAL.run("nft", "list", "ruleset").stdout();
        assertThat(capabilities.cleanup(vm, null)).isEmpty();
        List<String> delete = runner.take();
        String deleted = REAL.run("nft", "list", "ruleset").stdout();

        assertThat(start).as("a start: the guard's table and the NAT table listed once, one batch for both; the forwards' "
                + "listing; iptables: its FORWARD policy and the chain where the confining drops it must not have would be").containsExactly(
                "nft -j -a list table bridge banger",
                "iptables -w -t filter -S FORWARD",
                "iptables -w -t filter -S BANGER-FORWARD",
                "nft -j -a list table ip banger",
                "nft -f -",
                "nft -j -a list table ip banger");
        assertThat(started).isEqualTo(STARTED);
        assertThat(delete).as("a delete: the forwards' listing; each table listed once, one batch for both; iptables' rules")
                .containsExactly(
                        "nft -j -a list table ip banger",
                        "nft -j -a list table bridge banger",
                        "nft -j -a list table ip banger",
                        "nft -f -",
                        "iptables -w -t nat -S BANGER-POSTROUTING",
                        "iptables -w -t filter -S BANGER-FORWARD");
        assertThat(deleted).isEqualTo(DELETED);

        capabilities.adopt(vm, null);
        capabilities.adopt(vm, null);
        assertThat(REAL.run("nft", "list", "ruleset").stdout()).as("running it again leaves one set").isEqualTo(STARTED);
        assertThat(capabilities.cleanup(vm, null)).isEmpty();
        assertThat(capabilities.cleanup(vm, null)).as("a second cleanup finds nothing to do").isEmpty();
        assertThat(REAL.run("nft", "list", "ruleset").stdout()).isEqualTo(DELETED);
    }
}
