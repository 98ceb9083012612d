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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a guest may put on the bridge, enforced at its tap in banger's nftables table
 * {@code bridge banger}: frames with the VM's own MAC carrying IPv4 from its own address, or ARP
 * naming its own MAC and address; everything else from the tap (another source, IPv6, VLAN tags,
 * any other ethertype: guests have static IPv4 only) is dropped. An isolated VM's frames to other
 * banger taps, and theirs to it, are dropped as they are bridged, so two guests talk only when
 * neither is isolated. The host (the bridge's own address) is reached as before. Each VM's rules
 * carry the comment {@code banger:<vm id>} and every change is one atomic {@code nft -f -} batch.
 * Without nft there is no guard, and VM starts are refused.
 */
public final class GuestGuard {

    private static final Logger LOG = LoggerFactory.getLogger(GuestGuard.class);
    static final String TABLE = "banger";

    private final CommandRunner runner;
    private final String nft;
    private final String tapPrefix;

    /**
     * {@code nft}: the program's name in the search path, or an absolute path (tests name a missing
     * one); {@code tapPrefix}: how every banger tap's name starts, matched as a wildcard.
     */
    public GuestGuard(CommandRunner runner, String nft, String tapPrefix) {
        this.runner = runner;
        this.nft = nft;
        this.tapPrefix = tapPrefix;
    }

    /** The VM's guard on {@code tap}; running it again leaves exactly one set of rules. */
    public synchronized void apply(String vmId, String tap, String mac, Inet4Address guest, boolean isolate) {
        NftTable table = table(required());
        table.apply(chains() + table.deletions(tag(vmId)) + rules(tag(vmId), tap, tapPrefix, mac, guest.getHostAddress(), isolate));
        LOG.info("VM {}: guard on {} for {} {}{}", vmId, tap, mac, guest.getHostAddress(), isolate ? ", isolated" : "");
    }

    /** Removes {@code vmId}'s rules; none there is fine, and so is no nft at all (then there never were any). */
    public synchronized void remove(String vmId) {
        Optional<Path> program = HostPrograms.locate(nft);
        if (program.isEmpty()) {
            return;
        }
        NftTable table = table(program.get());
        String script = table.deletions(tag(vmId));
        if (!script.isEmpty()) {
            table.apply(script);
        }
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
                + "add chain bridge " + TABLE + " forward { type filter hook forward priority filter; policy accept; }\n";
    }

    /**
     * A VM's rules: in {@code prerouting}, which sees every frame entering from the tap (for the host
     * or for another port), accept only its own IPv4 and ARP and drop the rest; in {@code forward},
     * which sees frames bridged port to port, an isolated VM's drops in both directions.
     */
    static String rules(String tag, String tap, String tapPrefix, String mac, String guest, boolean isolate) {
        String comment = " comment \"" + tag + "\"\n";
        String from = "iifname \"" + tap + "\"";
        String anyTap = "\"" + tapPrefix + "*\"";
        StringBuilder s = new StringBuilder()
                .append("add rule bridge " + TABLE + " prerouting " + from + " ether saddr " + mac + " ip saddr " + guest + " accept" + comment)
                .append("add rule bridge " + TABLE + " prerouting " + from + " ether saddr " + mac + " arp saddr ether " + mac
                        + " arp saddr ip " + guest + " accept" + comment)
                .append("add rule bridge " + TABLE + " prerouting " + from + " drop" + comment);
        if (isolate) {
            s.append("add rule bridge " + TABLE + " forward " + from + " oifname " + anyTap + " drop" + comment)
                    .append("add rule bridge " + TABLE + " forward iifname " + anyTap + " oifname \"" + tap + "\" drop" + comment);
        }
        return s.toString();
    }

    static String tag(String vmId) {
        return "banger:" + vmId;
    }
}
