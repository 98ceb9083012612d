package dev.banger.daemon.network.nat;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-VM NAT on the host: IPv4 forwarding on, plus a masquerade rule for the guest's address going
 * out of anything but the bridge and forward accepts for it and its replies, all tagged
 * {@code banger:<vm id>}, above two drops tagged {@code banger:confine} that keep anything else from
 * being forwarded between the bridge and elsewhere (see {@link #confine}). The firewall tool is
 * chosen at each call from what is installed:
 * nftables (banger's own table), or iptables when nft is missing or iptables' FORWARD chain drops
 * by default (docker), since an accept in another nftables table cannot overrule that drop.
 */
public final class NatRules {

    private static final Logger LOG = LoggerFactory.getLogger(NatRules.class);
    static final String TAG_PREFIX = "banger:";
    /** The confining drops' tag; VM ids are hex, so no VM's tag is this. */
    static final String CONFINE_TAG = TAG_PREFIX + "confine";

    /** The firewall programs looked for (names in the search path, or absolute paths); tests point them elsewhere. */
    public record Programs(String nft, String iptables) {
        public static final Programs DEFAULT = new Programs("nft", "iptables");
    }

    /** The backend NAT rules go to, its program, and why it was chosen. */
    public record Choice(String backend, Path program, String reason) {
    }

    private final CommandRunner runner;
    private final String bridge;
    private final Programs programs;
    /** The guests this daemon gave NAT (at start or adopt), by VM id: the DNS server forwards their names. */
    private final java.util.Map<String, Inet4Address> natGuests = new java.util.concurrent.ConcurrentHashMap<>();

    public NatRules(CommandRunner runner, String bridge, Programs programs) {
        this.runner = runner;
        this.bridge = bridge;
        this.programs = programs;
    }

    /** Gives {@code vmId}'s guest NAT; running it again leaves exactly one set of rules. Returns the backend used. */
    public synchronized String enable(String vmId, Inet4Address guest) {
        List<NatBackend> installed = installed();
        NatBackend chosen = choose(installed).backend();
        IpForwarding.ensureOn();
        confine(installed, chosen);
        for (NatBackend other : installed) {
            if (other != chosen) {
                other.remove(tag(vmId)); // rules a start under another choice left (docker came or went)
            }
        }
        chosen.add(tag(vmId), guest.getHostAddress(), bridge);
        natGuests.put(vmId, guest);
        LOG.info("VM {}: NAT for {} with {}", vmId, guest.getHostAddress(), chosen.name());
        return chosen.name();
    }

    /**
     * Makes the forward chain of the tool {@link #enable} would use drop whatever the host forwards
     * between the bridge and elsewhere that no NAT VM's rules accept: a guest without NAT (its
     * packets would leave unmasqueraded), anything routed in to a guest from another interface.
     * Every VM start asks for it, NAT or not; made once, it stays, like the chains.
     *
     * <p>{@code refused}: a VM without NAT, whose traffic beyond the host (not to one of the host's own
     * addresses) is then rejected with ICMP "administratively prohibited" (TCP: a reset) as it arrives,
     * so a connect fails at once instead of timing out, whether or not the host forwards at all; in
     * nftables, tagged like the VM's NAT rules: {@link #disable} and a later {@link #enable} take it
     * away. Null for a VM with NAT. {@code alongside}: nft lines for banger's other tables (the VM's
     * guard) that go in the same batch as the NAT table's, so a start changes both at once. Both need nft.
     */
    public synchronized void confine(Refused refused, String alongside) {
        if (refused != null) {
            natGuests.remove(refused.vmId());
        }
        List<NatBackend> installed = installed();
        NatBackend chosen = choose(installed).backend();
        Optional<NftablesNat> nft = nftables(installed);
        if (nft.isEmpty() && (refused != null || !alongside.isEmpty())) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "`" + programs.nft() + "` is not installed: apt-get install nftables");
        }
        if (nft.isPresent() && chosen == nft.get()) {
            installed.stream().filter(b -> b != chosen).forEach(other -> other.unconfine(CONFINE_TAG));
        }
        // The drops leave the other tool before the chosen one gets them (a drop in both would drop what it accepts).
        nft.ifPresent(n -> n.confine(alongside, chosen == n, CONFINE_TAG, refused == null ? null : tag(refused.vmId()),
                refused == null ? null : refused.guest().getHostAddress(), bridge));
        if (nft.isEmpty() || chosen != nft.get()) {
            chosen.confine(CONFINE_TAG, bridge);
        }
    }

    /** A VM without NAT, whose traffic beyond the host {@link #confine} rejects. */
    public record Refused(String vmId, Inet4Address guest) {
    }

    /** The drops only in the chosen tool: in the other one, they would drop what the chosen one accepts. */
    private void confine(List<NatBackend> installed, NatBackend chosen) {
        for (NatBackend other : installed) {
            if (other != chosen) {
                other.unconfine(CONFINE_TAG);
            }
        }
        chosen.confine(CONFINE_TAG, bridge);
    }

    /** Removes {@code vmId}'s rules from every installed backend; none there is fine, and so is no firewall tool at all. */
    public synchronized void disable(String vmId) {
        disable(vmId, "");
    }

    /**
     * As {@link #disable(String)}, with {@code alongside} (nft deletions in banger's other tables: the
     * VM's guard) in the same batch as the NAT table's, so a delete changes both at once. Lines
     * alongside need nft, which made them.
     */
    public synchronized void disable(String vmId, String alongside) {
        List<NatBackend> installed = installed();
        if (!alongside.isEmpty() && nftables(installed).isEmpty()) {
            throw new IllegalStateException("nft lines to apply with NAT's, and no `" + programs.nft() + "`");
        }
        natGuests.remove(vmId);
        for (NatBackend b : installed) {
            if (b instanceof NftablesNat nft) {
                nft.remove(tag(vmId), alongside);
            } else {
                b.remove(tag(vmId));
            }
        }
    }

    /** The VMs that have NAT rules in any installed backend (by id); none with no firewall tool at all. */
    public synchronized Set<String> vmsWithRules() {
        Set<String> ids = new TreeSet<>();
        for (NatBackend b : installed()) {
            b.tags().stream().filter(t -> t.startsWith(TAG_PREFIX) && !t.equals(CONFINE_TAG))
                    .forEach(t -> ids.add(t.substring(TAG_PREFIX.length())));
        }
        return ids;
    }

    /** Whether {@code guest} is the address of a VM this daemon gave NAT. */
    public boolean natOn(java.net.InetAddress guest) {
        return natGuests.containsValue(guest);
    }

    /** Which backend {@link #enable} would use; a clear error naming the package to install when there is none. */
    public Choice choose() {
        Chosen c = choose(installed());
        return new Choice(c.backend().name(), c.backend().program(), c.reason());
    }

    /** Whether IPv4 forwarding is on (banger turns it on at the first NAT VM start). */
    public boolean forwarding() {
        return IpForwarding.on();
    }

    private record Chosen(NatBackend backend, String reason) {
    }

    private Chosen choose(List<NatBackend> installed) {
        if (installed.isEmpty()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "NAT needs nftables or iptables on the host, and neither `"
                    + programs.nft() + "` nor `" + programs.iptables() + "` is installed: apt-get install nftables");
        }
        Optional<IptablesNat> iptables = installed.stream().filter(IptablesNat.class::isInstance).map(IptablesNat.class::cast).findFirst();
        if (iptables.isPresent() && iptables.get().forwardDropsByDefault()) {
            return new Chosen(iptables.get(), "iptables' FORWARD chain drops by default (docker?): the accepts must go there");
        }
        NatBackend first = installed.getFirst();
        return new Chosen(first, first instanceof IptablesNat ? "nft is not installed" : "banger's own table, ip " + NftablesNat.TABLE);
    }

    private static Optional<NftablesNat> nftables(List<NatBackend> installed) {
        return installed.stream().filter(NftablesNat.class::isInstance).map(NftablesNat.class::cast).findFirst();
    }

    /** The installed backends, nftables first. */
    private List<NatBackend> installed() {
        List<NatBackend> found = new ArrayList<>();
        HostPrograms.locate(programs.nft()).ifPresent(p -> found.add(new NftablesNat(runner, p)));
        HostPrograms.locate(programs.iptables()).ifPresent(p -> found.add(new IptablesNat(runner, p)));
        return found;
    }

    static String tag(String vmId) {
        return TAG_PREFIX + vmId;
    }
}
