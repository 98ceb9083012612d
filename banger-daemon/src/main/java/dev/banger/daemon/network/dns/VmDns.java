package dev.banger.daemon.network.dns;

import dev.banger.daemon.exec.CommandRunner;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <name>.vm} for every running VM: an authoritative DNS server inside bangerd (UDP and TCP
 * on {@code dns_listen}) and, where systemd-resolved runs, the route of {@code ~vm} to it on the
 * bridge. The records live in memory only; the VM capability adds them at start and after a daemon
 * restart, and removes them when a VM's run ends.
 *
 * <p>Guests ask a second listener, on the bridge's address port 53 (bound once the bridge is up;
 * their resolv.conf names it): {@link GuestResolver}, which also forwards other names for guests
 * with NAT and refuses them at once for the others.
 *
 * <p>A port held by another program does not stop the daemon: VMs work without their names, the
 * log says why, and so does doctor through {@link #checks}.
 */
public final class VmDns implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VmDns.class);
    private static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

    /** One doctor line: what was checked, whether it is fine, what was found and the fix. */
    public record Check(String name, boolean ok, List<String> detail) {
        public Check {
            detail = List.copyOf(detail);
        }
    }

    private final InetSocketAddress listen;
    private final String bridge;
    private final ResolvedRouting resolved;
    private final VmZone zone = new VmZone();
    private DnsListener listener;
    /** The guests' server: null until the bridge is up, and when guests get none (tests of the host side). */
    private final InetSocketAddress guestListen;
    private final GuestResolver guestResolver;
    private DnsListener guestListener;
    private String listenFailure;
    private String routeProblem;
    private boolean routeTried;
    private boolean closed;

    /**
     * {@code guestListen}: the bridge's address and port 53, where guests ask; {@code natOn}: whether
     * a guest address has NAT (its other names are forwarded to the host's resolvers).
     */
    public VmDns(InetSocketAddress listen, String bridge, CommandRunner runner, InetSocketAddress guestListen,
                 Predicate<InetAddress> natOn) {
        this(listen, bridge, new ResolvedRouting(runner), guestListen, natOn, RESOLV_CONF);
    }

    VmDns(InetSocketAddress listen, String bridge, ResolvedRouting resolved) {
        this(listen, bridge, resolved, null, a -> false, RESOLV_CONF);
    }

    VmDns(InetSocketAddress listen, String bridge, ResolvedRouting resolved, InetSocketAddress guestListen,
          Predicate<InetAddress> natOn, Path resolvConf) {
        this.listen = listen;
        this.bridge = bridge;
        this.resolved = resolved;
        this.guestListen = guestListen;
        this.guestResolver = guestListen == null ? null : new GuestResolver(zone, natOn, resolvConf, guestListen.getAddress());
    }

    /**
     * Starts answering; when the bridge is there already, routes {@code ~vm} to this server. A port
     * that cannot be had is logged and remembered for doctor, and nothing is left bound.
     */
    public synchronized void start(boolean bridgeExists) {
        if (closed || listener != null) {
            return;
        }
        try {
            listener = DnsListener.start(listen, (query, from) -> zone.answer(query)); // the host's programs: .vm only
            listenFailure = null;
        } catch (UncheckedIOException e) {
            listenFailure = e.getMessage();
            LOG.warn("{}. VMs still start; their .vm names do not resolve until bangerd restarts with the port free", listenFailure);
            return;
        }
        LOG.info("answering <name>.vm on {} (UDP and TCP)", display(listener.address()));
        if (bridgeExists) {
            route();
            startGuests();
        }
    }

    /** The bridge is up; {@code created}: it was just made, so the link settings resolved had for it are gone. */
    public synchronized void bridgeUp(boolean created) {
        if (listener != null && (created || !routeTried)) {
            route();
        }
        startGuests();
    }

    /** The guests' server on the bridge address, once; a failure is logged: guests then time out on names, as before. */
    private void startGuests() {
        if (closed || guestListen == null || guestListener != null) {
            return;
        }
        try {
            guestListener = DnsListener.start(guestListen, guestResolver);
            LOG.info("answering guests' DNS on {} (NAME.vm; other names forwarded for NAT VMs, refused for the others)",
                    display(guestListen));
        } catch (UncheckedIOException e) {
            LOG.warn("{}. Guests' name lookups will time out instead of being answered", e.getMessage());
        }
    }

    /** Where the guests' server answers, once the bridge is up. */
    public synchronized Optional<InetSocketAddress> guestsListening() {
        return Optional.ofNullable(guestListener).map(DnsListener::address);
    }

    private void route() {
        routeTried = true;
        Optional<String> unavailable = resolved.unavailable();
        if (unavailable.isPresent()) {
            routeProblem = unavailable.get();
            LOG.info("not routing ~vm through systemd-resolved: {}", routeProblem);
            return;
        }
        try {
            resolved.route(bridge, listener.address());
            routeProblem = null;
            LOG.info("systemd-resolved sends ~vm queries to {} (link {})", display(listener.address()), bridge);
        } catch (RuntimeException e) {
            routeProblem = "resolvectl failed: " + e.getMessage();
            LOG.warn("cannot route ~vm through systemd-resolved: {}", e.getMessage());
        }
    }

    public void put(String vmName, Inet4Address ip) {
        zone.put(vmName, ip);
    }

    /** Removes {@code vmName} while it still names {@code ip}; a name already gone is fine. */
    public void remove(String vmName, Inet4Address ip) {
        zone.remove(vmName, ip);
    }

    public Optional<Inet4Address> lookup(String vmName) {
        return zone.lookup(vmName);
    }

    /** Where the server answers now, if it does (the real port when the config asked for 0). */
    public synchronized Optional<InetSocketAddress> listening() {
        return Optional.ofNullable(listener).map(DnsListener::address);
    }

    /**
     * The listener (answering, or the port free for it, or held by something else) and the
     * resolver route, checked without changing anything.
     */
    public synchronized List<Check> checks() {
        List<Check> checks = new ArrayList<>();
        String where = display(listen);
        if (listener != null) {
            checks.add(new Check("dns: listener", true, List.of("answering <name>.vm on " + display(listener.address()) + " (UDP and TCP)")));
        } else {
            String problem = listenFailure != null ? listenFailure : DnsListener.probe(listen);
            checks.add(problem == null
                    ? new Check("dns: listener", true, List.of(where + " is free for bangerd's DNS server"))
                    : new Check("dns: listener", false, List.of(problem, "fix: free " + where
                            + " or set dns_listen to a free address, then restart bangerd")));
        }
        Optional<String> unavailable = routeProblem != null ? Optional.of(routeProblem) : resolved.unavailable();
        if (listenFailure != null) {
            checks.add(new Check("dns: systemd-resolved", false, List.of("~vm is not routed: bangerd's DNS server is not answering"
                    + " (see dns: listener)")));
        } else if (resolved.routed()) {
            checks.add(new Check("dns: systemd-resolved", true, List.of("~vm is sent to " + display(listener.address()) + " on " + bridge)));
        } else if (unavailable.isPresent()) {
            checks.add(new Check("dns: systemd-resolved", false, List.of(unavailable.get(),
                    "fix: ask the server directly (dig @" + listen.getAddress().getHostAddress() + " -p " + listen.getPort()
                            + " NAME.vm) or route vm to it with dnsmasq: see docs/dns.md")));
        } else {
            checks.add(new Check("dns: systemd-resolved", true, List.of("~vm will be sent to " + where + " once " + bridge + " exists")));
        }
        return checks;
    }

    /** Takes the resolver route back and stops answering. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            resolved.revert();
        } catch (RuntimeException e) {
            LOG.warn("cannot take ~vm back from systemd-resolved (resolvectl revert {}): {}", bridge, e.getMessage());
        }
        if (listener != null) {
            listener.close();
            listener = null;
        }
        if (guestListener != null) {
            guestListener.close();
            guestListener = null;
        }
    }

    private static String display(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
