package dev.banger.daemon.network;

import dev.banger.core.config.Config;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.network.dns.VmDns;
import dev.banger.daemon.network.forward.ForwardRules;
import dev.banger.daemon.network.guard.GuestGuard;
import dev.banger.daemon.network.nat.NatRules;
import dev.banger.daemon.ops.Uncancellable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Host-side networking for VMs: the bridge, per-VM taps, the guard on each tap, NAT rules and the
 * {@code .vm} DNS records. The daemon owns exactly one. Every VM's tap joins one bridge whose address is the
 * guests' gateway; guest addresses come from the bridge's subnet.
 */
public final class HostNetwork implements AutoCloseable {

    public static final String TAP_PREFIX = "tap-fc-";
    /** Linux interface names hold at most 15 characters (IFNAMSIZ 16 with the NUL). */
    private static final int TAP_ID_CHARS = 8;
    /** Guests' resolv.conf names the bridge address, and a nameserver line is always port 53. */
    private static final int GUEST_DNS_PORT = 53;

    private final VmSettings vm;
    private final CommandRunner runner;
    private final IpLinks links;
    private final NatRules nat;
    private final GuestGuard guard;
    private final ForwardRules forwards;
    /** The .vm names; null when {@code dns_listen} is off. */
    private final VmDns dns;

    public HostNetwork(Config config, CommandRunner runner) {
        this(config, runner, NatRules.Programs.DEFAULT);
    }

    /** {@code natPrograms}: the firewall tools NAT and the guard look for (tests name missing ones). */
    public HostNetwork(Config config, CommandRunner runner, NatRules.Programs natPrograms) {
        this.vm = config.vm();
        this.runner = runner;
        this.links = new IpLinks(runner);
        this.nat = new NatRules(runner, vm.bridgeName(), natPrograms);
        this.guard = new GuestGuard(runner, natPrograms.nft(), TAP_PREFIX, vm.bridgeAddress(), vm.cidr());
        this.forwards = new ForwardRules(runner, natPrograms.nft(), vm.bridgeName());
        this.dns = vm.dnsListen() == null ? null
                : new VmDns(new InetSocketAddress(vm.dnsListen().address(), vm.dnsListen().port()), vm.bridgeName(), runner,
                        new InetSocketAddress(vm.bridgeAddress(), GUEST_DNS_PORT), nat::natOn);
    }

    /** A guest address as the store keeps it: an IPv4 literal banger wrote, so parsing does no lookup. */
    public static Inet4Address storedAddress(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (UnknownHostException | ClassCastException e) {
            throw new IllegalStateException("stored guest address " + literal + " is not an IPv4 address", e);
        }
    }

    /** Per-VM NAT: the masquerade and forward rules of VMs created with {@code --nat}. */
    public NatRules nat() {
        return nat;
    }

    /** What each guest may send from its tap, and whether it reaches the other guests. */
    public GuestGuard guard() {
        return guard;
    }

    /** Published host ports: DNAT to a guest's port. */
    public ForwardRules forwards() {
        return forwards;
    }

    /** The .vm DNS names, unless {@code dns_listen} is off. */
    public Optional<VmDns> dns() {
        return Optional.ofNullable(dns);
    }

    /**
     * Starts the .vm DNS server (the daemon does, as it opens; a port held by another program is a
     * warning, not a failure) and routes {@code ~vm} to it if the bridge is there already.
     */
    public void startDns() {
        if (dns != null) {
            dns.start(bridgeExists());
        }
    }

    /** Whether the bridge is there; when {@code ip} cannot tell, no: the first VM start will find out (and fail clearly). */
    private boolean bridgeExists() {
        try {
            return links.find(vm.bridgeName()).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Creates the bridge if it is missing, gives it its address if it lacks it, and brings it up.
     * Safe to call before every VM start: it changes nothing that is already right. A cancel does
     * not cut it between its commands (a bridge without its address would be left).
     */
    public synchronized void ensureBridge() {
        Uncancellable.run("set-up of bridge " + vm.bridgeName(), this::ensureBridgeNow);
    }

    private void ensureBridgeNow() {
        String bridge = vm.bridgeName();
        String ip = vm.bridgeAddress().getHostAddress();
        String address = ip + "/" + vm.cidr();
        try {
            var existing = links.find(bridge);
            boolean created = existing.isEmpty();
            if (created) {
                runner.run("ip", "link", "add", bridge, "type", "bridge");
            } else if (!existing.get().kind().equals("bridge")) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot use " + bridge + " as the VM bridge: it exists and is a "
                        + (existing.get().kind().isEmpty() ? "plain" : existing.get().kind()) + " interface, not a bridge"
                        + " (delete it, or set another 'bridge_name' in bangerd's config)");
            }
            if (!links.ipv4Addresses(bridge).contains(new IpLinks.Address(ip, vm.cidr()))) {
                runner.run("ip", "addr", "add", address, "dev", bridge);
            }
            runner.run("ip", "link", "set", bridge, "up");
            if (dns != null) {
                dns.bridgeUp(created);
            }
        } catch (CommandFailedException e) {
            throw failed("cannot set up bridge " + bridge + " with " + address, e);
        }
    }

    /**
     * Creates the VM's tap, attached to the bridge and up, and returns its name. A tap of that
     * name left by an earlier run is deleted first. A cancel does not cut it between its commands:
     * a tap off the bridge would escape the startup sweep, which looks at the bridge's taps.
     */
    public String createTap(String vmId) {
        return createTap(vmId, Optional.empty());
    }

    /** As {@link #createTap(String)}, the tap owned by {@code ids} (uid, gid) when given, for a VM process that is not root. */
    public String createTap(String vmId, Optional<int[]> ids) {
        String tap = tapName(vmId);
        Uncancellable.run("set-up of tap " + tap, () -> createTapNow(tap, ids));
        return tap;
    }

    private void createTapNow(String tap, Optional<int[]> ids) {
        deleteTap(tap);
        List<String> add = new ArrayList<>(List.of("ip", "tuntap", "add", "dev", tap, "mode", "tap"));
        ids.ifPresent(id -> add.addAll(List.of("user", Integer.toString(id[0]), "group", Integer.toString(id[1]))));
        try {
            runner.run(add.toArray(String[]::new));
            runner.run("ip", "link", "set", tap, "master", vm.bridgeName(), "up");
        } catch (CommandFailedException e) {
            BangerException error = failed("cannot create tap " + tap + " on " + vm.bridgeName(), e);
            try {
                deleteTap(tap);
            } catch (BangerException cleanup) {
                error.addSuppressed(cleanup);
            }
            throw error;
        }
    }

    /**
     * Takes a tap's link down or up. A clone's tap stays down until the guest dropped its template's
     * address and MAC, so those never appear on the bridge twice.
     */
    public void setTapLink(String tap, boolean up) {
        try {
            runner.run("ip", "link", "set", tap, up ? "up" : "down");
        } catch (CommandFailedException e) {
            throw failed("cannot set tap " + tap + (up ? " up" : " down"), e);
        }
    }

    /** Deletes a tap; a tap that is already gone is fine. */
    public void deleteTap(String name) {
        if (!name.startsWith(TAP_PREFIX)) {
            throw new IllegalArgumentException("not a banger tap: " + name);
        }
        if (!tapExists(name)) {
            return;
        }
        try {
            runner.run("ip", "link", "del", name);
        } catch (CommandFailedException e) {
            if (tapExists(name)) { // else someone else deleted it in between, which is what we wanted
                throw failed("cannot delete tap " + name, e);
            }
        }
    }

    public boolean tapExists(String name) {
        return links.find(name).isPresent();
    }

    /** The banger taps on this daemon's bridge: the ones it (or an earlier run of it) made, not another daemon's. */
    public List<String> bridgeTaps() {
        return links.all().stream().filter(l -> l.name().startsWith(TAP_PREFIX) && vm.bridgeName().equals(l.master()))
                .map(IpLinks.Link::name).toList();
    }

    /** The tap of a VM: {@code tap-fc-} and the first 8 characters of its id. */
    public static String tapName(String vmId) {
        return TAP_PREFIX + vmId.substring(0, Math.min(TAP_ID_CHARS, vmId.length()));
    }

    /** The lowest free guest address after the bridge's; {@code taken} are the other VMs' addresses. */
    public Inet4Address allocate(Set<Inet4Address> taken) {
        return new Subnet(vm.bridgeAddress(), vm.cidr()).allocate(taken);
    }

    /** The guest's MAC: locally administered ({@code 02:}), unique per address, the same on every boot. */
    public static String macFor(Inet4Address guest) {
        return "02:fc:" + HexFormat.ofDelimiter(":").formatHex(guest.getAddress());
    }

    public GuestNet guestNet(Inet4Address guest) {
        return new GuestNet(guest, vm.cidr(), vm.bridgeAddress());
    }

    /** Releases host state the daemon must not leave behind (DNS listener, resolver routes); the bridge and taps outlive it on purpose. */
    @Override
    public void close() {
        if (dns != null) {
            dns.close();
        }
    }

    private static BangerException failed(String doing, CommandFailedException e) {
        return new BangerException(ErrorCode.OPERATION_FAILED, doing + ": " + e.getMessage(), e);
    }
}
