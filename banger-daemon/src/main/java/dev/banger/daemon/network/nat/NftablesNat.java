package dev.banger.daemon.network.nat;

import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.network.nft.NftTable;
import java.nio.file.Path;
import java.util.Set;

/**
 * NAT in banger's own nftables table, {@code ip banger}: a {@code postrouting} chain (nat hook)
 * with one masquerade rule per VM, a {@code forward} chain (filter hook) with two accept rules per
 * VM, inserted at its top, above the two confining drops (anything else forwarded between the
 * bridge and elsewhere). Every change is one {@code nft -f -} batch, which the kernel applies whole or not at
 * all, so a VM never has half its rules; adding deletes the VM's old rules in the same batch.
 */
final class NftablesNat implements NatBackend {

    static final String TABLE = "banger";

    private final NftTable table;
    private final Path nft;

    NftablesNat(CommandRunner runner, Path nft) {
        this.table = new NftTable(runner, nft, "ip", TABLE);
        this.nft = nft;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public Path program() {
        return nft;
    }

    @Override
    public void add(String tag, String guest, String bridge) {
        table.apply(chains() + table.deletions(tag) + addRules(tag, guest, bridge));
    }

    @Override
    public void confine(String tag, String bridge) {
        if (!table.has(tag)) {
            table.apply(chains() + confineRules(tag, bridge));
        }
    }

    /**
     * One batch, from one listing: {@code alongside} (another table's lines: the VM's guard), the
     * confining drops when {@code confine} (made once) or else their removal (another tool has them),
     * and, for a guest without NAT, its refusal (see NatRules.confine) in place of its earlier rules.
     * {@code refusedTag}/{@code refused}: that guest's tag and address, or null.
     */
    void confine(String alongside, boolean confine, String confineTag, String refusedTag, String refused, String bridge) {
        NftTable.Listing listed = table.list();
        StringBuilder own = new StringBuilder();
        if (confine && !listed.has(confineTag)) {
            own.append(confineRules(confineTag, bridge));
        }
        if (refusedTag != null) {
            own.append(listed.deletions(refusedTag)).append(refuseRule(refusedTag, refused, bridge));
        }
        String script = alongside + (own.isEmpty() ? "" : chains() + own) + (confine ? "" : listed.deletions(confineTag));
        if (!script.isEmpty()) {
            table.apply(script);
        }
    }

    @Override
    public void unconfine(String tag) {
        remove(tag);
    }

    @Override
    public Set<String> tags() {
        return table.tags();
    }

    @Override
    public void remove(String tag) {
        remove(tag, "");
    }

    /** Removes every rule carrying {@code tag} in one batch with {@code alongside} (another table's deletions: the VM's guard). */
    void remove(String tag, String alongside) {
        String script = alongside + table.deletions(tag);
        if (!script.isEmpty()) {
            table.apply(script);
        }
    }

    private static String chains() {
        return "add table ip " + TABLE + "\n"
                + "add chain ip " + TABLE + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                + "add chain ip " + TABLE + " forward { type filter hook forward priority filter; policy accept; }\n"
                + "add chain ip " + TABLE + " refuse { type filter hook prerouting priority filter; policy accept; }\n";
    }

    /**
     * Before routing, so it holds with IPv4 forwarding off too (the kernel would drop those silently).
     * Not for the host's own addresses, nor for what is routed back to the bridge (other guests: with
     * br_netfilter, frames bridged between taps pass this hook too; the guard decides about those).
     * Only what the guest starts ({@code ct direction original}): its replies to a published
     * {@code 0.0.0.0} port reached from another machine go out.
     * TCP gets a reset: a guest kernel takes an ICMP error that arrives while connect() still holds
     * the socket (likely on a slow guest) only as a soft error, and waits for its 1 s retransmit.
     */
    static String refuseRule(String tag, String guest, String bridge) {
        String quoted = "\"" + bridge + "\"";
        String match = "add rule ip " + TABLE + " refuse iifname " + quoted + " ip saddr " + guest
                + " ct direction original fib daddr type != { local, broadcast, multicast } fib daddr oifname != " + quoted;
        String comment = " comment \"" + tag + "\"\n";
        return match + " ip protocol tcp reject with tcp reset" + comment
                + match + " reject with icmp type admin-prohibited" + comment;
    }

    /** A VM's masquerade and forward accepts; the accepts are inserted, so they come before the confining drops. */
    static String addRules(String tag, String guest, String bridge) {
        String comment = " comment \"" + tag + "\"\n";
        return "add rule ip " + TABLE + " postrouting ip saddr " + guest + " oifname != \"" + bridge + "\" masquerade" + comment
                + "insert rule ip " + TABLE + " forward oifname \"" + bridge + "\" ip daddr " + guest
                + " ct state established,related accept" + comment
                + "insert rule ip " + TABLE + " forward iifname \"" + bridge + "\" oifname != \"" + bridge + "\" ip saddr " + guest
                + " accept" + comment;
    }

    /**
     * The drops at the end of the forward chain: what no VM's accept let through never crosses the
     * host between the bridge and elsewhere. Bridge to bridge is left alone: with br_netfilter, frames
     * bridged between two taps pass this hook too (the guard on the taps decides about those).
     */
    static String confineRules(String tag, String bridge) {
        String comment = " comment \"" + tag + "\"\n";
        String quoted = "\"" + bridge + "\"";
        return "add rule ip " + TABLE + " forward iifname " + quoted + " oifname != " + quoted + " drop" + comment
                + "add rule ip " + TABLE + " forward iifname != " + quoted + " oifname " + quoted + " drop" + comment;
    }
}
