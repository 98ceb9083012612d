package dev.banger.daemon.network.forward;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.network.nft.NftTable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Published ports as nftables DNAT in banger's table {@code ip banger} (the NAT table): a connection
 * to {@code hostIp:hostPort} made on the host ({@code output} hook) or arriving at it
 * ({@code prerouting}) is rewritten to the guest's address and port; the kernel forwards it, so
 * no bangerd thread copies bytes and the forwards keep working while bangerd restarts.
 *
 * <p>Forwards from 127.0.0.1 need {@code route_localnet} on the bridge (a packet with a loopback
 * source may then leave through it) and a masquerade of that source to the bridge's address (the
 * guest's reply must come back to the host). route_localnet alone would also let a guest reach the
 * host's loopback services by sending to 127.x through the bridge, so a rule drops whatever comes
 * in from the bridge for 127.0.0.0/8 before routing. Those shared rules carry the tag
 * {@code banger-fwd}, each VM's DNATs {@code banger-fwd:<vm id>}; every change is one atomic batch.
 */
public final class ForwardRules {

    private static final Logger LOG = LoggerFactory.getLogger(ForwardRules.class);
    static final String TABLE = "banger";
    static final String SHARED_TAG = "banger-fwd";

    private final CommandRunner runner;
    private final String nft;
    private final String bridge;
    private final Path sysctl;

    /** {@code nft}: the program's name or path; {@code bridge}: the VM bridge the guests are on. */
    public ForwardRules(CommandRunner runner, String nft, String bridge) {
        this.runner = runner;
        this.nft = nft;
        this.bridge = bridge;
        this.sysctl = Path.of("/proc/sys/net/ipv4/conf", bridge, "route_localnet");
    }

    /**
     * Refuses, before anything is changed, a forward whose host port another program holds: a DNAT
     * would take the port's connections from it (or it would never see them). Checked by binding it
     * for a moment, as root, on the forward's address.
     */
    public void requireFree(List<PortForward> forwards) {
        for (PortForward f : forwards) {
            InetSocketAddress at = new InetSocketAddress(address(f.hostIp()), f.hostPort());
            try {
                if (f.proto().equals("tcp")) {
                    try (ServerSocket s = new ServerSocket()) {
                        s.setReuseAddress(false);
                        s.bind(at);
                    }
                } else {
                    try (DatagramSocket s = new DatagramSocket(at)) {
                        s.getLocalPort();
                    }
                }
            } catch (IOException e) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "host port " + f.hostIp() + ":" + f.hostPort() + "/" + f.proto()
                        + " is taken (" + e.getMessage() + "): stop what listens there or publish another HOST_PORT", e);
            }
        }
    }

    /** Makes {@code vmId}'s DNATs exactly {@code forwards} (none: removes them). Running it again changes nothing. */
    public synchronized void apply(String vmId, String guestIp, List<PortForward> forwards) {
        if (forwards.isEmpty()) {
            remove(vmId);
            return;
        }
        NftTable table = table(required());
        StringBuilder script = new StringBuilder(chains());
        if (!table.has(SHARED_TAG)) {
            script.append(sharedRules());
        }
        script.append(table.deletions(tag(vmId))).append(vmRules(tag(vmId), guestIp, forwards));
        allowLoopbackSource();
        table.apply(script.toString());
        LOG.info("VM {}: forwards {}", vmId, forwards.stream().map(PortForward::spec).toList());
    }

    /** Removes {@code vmId}'s DNATs; none there is fine, and so is no nft at all (then there never were any). */
    public synchronized void remove(String vmId) {
        HostPrograms.locate(nft).ifPresent(program -> table(program).removeTagged(tag(vmId)));
    }

    /** The VMs that have DNATs here (by id); none with no nft at all. */
    public synchronized Set<String> vmsWithRules() {
        String prefix = SHARED_TAG + ":";
        Set<String> ids = new TreeSet<>();
        HostPrograms.locate(nft).ifPresent(program -> table(program).tags().stream().filter(t -> t.startsWith(prefix))
                .forEach(t -> ids.add(t.substring(prefix.length()))));
        return ids;
    }

    private Path required() {
        return HostPrograms.locate(nft).orElseThrow(() -> new BangerException(ErrorCode.OPERATION_FAILED,
                "port forwards are nftables rules, and `" + nft + "` is not installed: apt-get install nftables"));
    }

    private NftTable table(Path program) {
        return new NftTable(runner, program, "ip", TABLE);
    }

    /** route_localnet on the bridge (it exists: the VM's start made it first); the guard rule keeps guests off 127/8. */
    private void allowLoopbackSource() {
        try {
            if (!Files.readString(sysctl).strip().equals("1")) {
                Files.writeString(sysctl, "1\n");
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot let forwards from 127.0.0.1 reach the guests (write 1 to "
                    + sysctl + "): " + e.getMessage(), e);
        }
    }

    static String chains() {
        String chain = "add chain ip " + TABLE + " ";
        return "add table ip " + TABLE + "\n"
                + chain + "forward_prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
                + chain + "forward_output { type nat hook output priority -100; policy accept; }\n" // nft names no dstnat for output
                + chain + "postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                + chain + "forward { type filter hook forward priority filter; policy accept; }\n"
                + chain + "bridge_guard { type filter hook prerouting priority raw; policy accept; }\n";
    }

    /**
     * Made once: the loopback source masqueraded onto the bridge; forwarded connections a DNAT made
     * accepted above NAT's confining drops (a forward on 0.0.0.0 reached from another machine);
     * guests kept off the host's loopback.
     */
    String sharedRules() {
        String comment = " comment \"" + SHARED_TAG + "\"\n";
        String quoted = "\"" + bridge + "\"";
        return "add rule ip " + TABLE + " postrouting ip saddr 127.0.0.0/8 oifname " + quoted + " masquerade" + comment
                + "insert rule ip " + TABLE + " forward oifname " + quoted + " ct status dnat accept" + comment
                + "insert rule ip " + TABLE + " forward iifname " + quoted + " ct status dnat accept" + comment
                + "add rule ip " + TABLE + " bridge_guard iifname " + quoted + " ip daddr 127.0.0.0/8 drop" + comment;
    }

    /** One DNAT per hook and forward; 0.0.0.0 matches every local address of the host. */
    static String vmRules(String tag, String guestIp, List<PortForward> forwards) {
        String comment = " comment \"" + tag + "\"\n";
        StringBuilder s = new StringBuilder();
        for (PortForward f : forwards) {
            String match = (f.anyAddress() ? "fib daddr type local" : "ip daddr " + f.hostIp()) + " " + f.proto() + " dport " + f.hostPort();
            String dnat = " dnat to " + guestIp + ":" + f.guestPort();
            for (String chain : List.of("forward_output", "forward_prerouting")) {
                s.append("add rule ip ").append(TABLE).append(' ').append(chain).append(' ').append(match).append(dnat).append(comment);
            }
        }
        return s.toString();
    }

    static String tag(String vmId) {
        return SHARED_TAG + ":" + vmId;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal); // an IPv4 literal PortForward checked: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(literal + " is not an address", e);
        }
    }
}
