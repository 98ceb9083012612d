package dev.banger.daemon.network.guard;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.network.nft.NftTable;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a guest may put on the bridge, enforced at its tap in banger's nftables table
 * {@code bridge banger}: frames with the VM's own MAC carrying IPv4 from its own address, or ARP
 * naming its own MAC and address; everything else from the tap (another source, IPv6, VLAN tags,
 * any other ethertype: guests have static IPv4 only) is dropped. An isolated VM's frames to other
 * banger taps, and theirs to it, are dropped as they are bridged, and so are its packets for other
 * guests' addresses sent to the host and the host's forwarding of other guests' packets to it, so
 * two guests talk only when neither is isolated, directly or through the host's routing. The host
 * (the bridge's own address) is reached as before. Each VM's rules
 * carry the comment {@code banger:<vm id>} and every change is one atomic {@code nft -f -} batch.
 * Without nft there is no guard, and VM starts are refused.
 */
public final class GuestGuard {

    private static final Logger LOG = LoggerFactory.getLogger(GuestGuard.class);
    static final String TABLE = "banger";

    private final CommandRunner runner;
    private final String nft;
    private final String tapPrefix;
    private final String host;
    private final String guests;

    /**
     * {@code nft}: the program's name in the search path, or an absolute path (tests name a missing
     * one); {@code tapPrefix}: how every banger tap's name starts, matched as a wildcard;
     * {@code host}/{@code cidr}: the bridge's address and the guests' subnet.
     */
    public GuestGuard(CommandRunner runner, String nft, String tapPrefix, Inet4Address host, int cidr) {
        this.runner = runner;
        this.nft = nft;
        this.tapPrefix = tapPrefix;
        this.host = host.getHostAddress();
        this.guests = this.host + "/" + cidr; // nft takes the network of this prefix
    }

    /** The VM's guard on {@code tap}; running it again leaves exactly one set of rules. */
    public synchronized void apply(String vmId, String tap, String mac, Inet4Address guest, boolean isolate) {
        table(required()).apply(installation(vmId, tap, mac, guest, isolate));
    }

    /**
     * The batch lines that make the VM's guard on {@code tap} in place of any it had (the table listed
     * once), for {@link #apply} or a batch that also changes the NAT table (a start's, see
     * NatRules.confine): the guard is never half made.
     */
    public synchronized String installation(String vmId, String tap, String mac, Inet4Address guest, boolean isolate) {
        String lines = chains() + table(required()).deletions(tag(vmId))
                + rules(new Vm(tag(vmId), tap, mac, guest.getHostAddress()), isolate);
        LOG.info("VM {}: guard on {} for {} {}{}", vmId, tap, mac, guest.getHostAddress(), isolate ? ", isolated" : "");
        return lines;
    }

    /** Removes {@code vmId}'s rules; none there is fine, and so is no nft at all (then there never were any). */
    public synchronized void remove(String vmId) {
        HostPrograms.locate(nft).ifPresent(program -> table(program).removeTagged(tag(vmId)));
    }

    /** The batch lines that remove {@code vmId}'s rules, for a batch with the NAT table's (a delete's); empty when there are none or no nft. */
    public synchronized String removal(String vmId) {
        return HostPrograms.locate(nft).map(program -> table(program).deletions(tag(vmId))).orElse("");
    }

    /** The VMs that have guard rules (by id); none with no nft. */
    public synchronized Set<String> vmsWithRules() {
        Optional<Path> program = HostPrograms.locate(nft);
        if (program.isEmpty()) {
            return Set.of();
        }
        return table(program.get()).tags().stream().filter(t -> t.startsWith(tag(""))).map(t -> t.substring(tag("").length()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** For doctor: the program, and whether the kernel takes banger's bridge table (checked, not applied). */
    public String probe() {
        Path program = required();
        try {
            table(program).check(chains());
        } catch (CommandFailedException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "`nft -c` refused table bridge " + TABLE
                    + " (the kernel needs nf_tables with the bridge family): " + e.getMessage(), e);
        }
        return program + ": table bridge " + TABLE + " can be applied";
    }

    /** Refuses, naming the package, when there is no nft to guard a guest with. */
    public void requireTool() {
        required();
    }

    private Path required() {
        return HostPrograms.locate(nft).orElseThrow(() -> new BangerException(ErrorCode.OPERATION_FAILED,
                "guests are guarded against using another's address with nftables, and `" + nft + "` is not installed: "
                        + "apt-get install nftables"));
    }

    private NftTable table(Path program) {
        return new NftTable(runner, program, "bridge", TABLE);
    }

    static String chains() {
        return "add table bridge " + TABLE + "\n"
                + "add chain bridge " + TABLE + " prerouting { type filter hook prerouting priority filter; policy accept; }\n"
                + "add chain bridge " + TABLE + " forward { type filter hook forward priority filter; policy accept; }\n"
                + "add chain bridge " + TABLE + " output { type filter hook output priority filter; policy accept; }\n";
    }

    /** What a VM's rules name: their tag, its tap, MAC and address. */
    record Vm(String tag, String tap, String mac, String address) {
    }

    /**
     * A VM's rules. {@code prerouting} sees every frame entering from the tap (for the host or for
     * another port): accept only its own IPv4 and ARP, drop the rest; an isolated VM's IPv4 for other
     * guests' addresses is dropped first (sent to the host, the host would route it to them).
     * {@code forward} sees frames bridged port to port: an isolated VM's drops both ways.
     * {@code output} sees what the host sends: to an isolated VM, nothing from other guests' addresses
     * (the host routing their packets to it).
     */
    String rules(Vm vm, boolean isolate) {
        String comment = " comment \"" + vm.tag() + "\"\n";
        String from = "iifname \"" + vm.tap() + "\"";
        String to = "oifname \"" + vm.tap() + "\"";
        String anyTap = "\"" + tapPrefix + "*\"";
        String rule = "add rule bridge " + TABLE + " ";
        StringBuilder s = new StringBuilder();
        if (isolate) {
            s.append(rule + "prerouting " + from + " ip daddr " + guests + " ip daddr != " + host + " drop" + comment);
        }
        s.append(rule + "prerouting " + from + " ether saddr " + vm.mac() + " ip saddr " + vm.address() + " accept" + comment)
                .append(rule + "prerouting " + from + " ether saddr " + vm.mac() + " arp saddr ether " + vm.mac()
                        + " arp saddr ip " + vm.address() + " accept" + comment)
                .append(rule + "prerouting " + from + " drop" + comment);
        if (isolate) {
            s.append(rule + "forward " + from + " oifname " + anyTap + " drop" + comment)
                    .append(rule + "forward iifname " + anyTap + " " + to + " drop" + comment)
                    .append(rule + "output " + to + " ip saddr " + guests + " ip saddr != " + host + " drop" + comment);
        }
        return s.toString();
    }

    static String tag(String vmId) {
        return "banger:" + vmId;
    }
}
