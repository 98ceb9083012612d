package dev.banger.daemon.network.dns;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Points systemd-resolved at the DNS server for {@code ~vm}, as settings of the bridge link (so
 * {@code ssh NAME.vm} works through the host's resolver); {@code resolvectl revert} takes them off
 * again. Link settings live only in resolved's memory: a reboot or resolved restart drops them too.
 */
final class ResolvedRouting {

    static final Path RUN_DIR = Path.of("/run/systemd/resolve");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final CommandRunner runner;
    private final Supplier<Optional<String>> unavailable;
    private String routedBridge;

    ResolvedRouting(CommandRunner runner) {
        this(runner, ResolvedRouting::detect);
    }

    /** {@code unavailable}: why resolved cannot be used here, or empty when it can (tests stand in for the host). */
    ResolvedRouting(CommandRunner runner, Supplier<Optional<String>> unavailable) {
        this.runner = runner;
        this.unavailable = unavailable;
    }

    /** Why resolved cannot route {@code ~vm} here, or empty when it can. */
    Optional<String> unavailable() {
        return unavailable.get();
    }

    private static Optional<String> detect() {
        if (HostPrograms.locate("resolvectl").isEmpty()) {
            return Optional.of("resolvectl is not installed, so systemd-resolved is not in use");
        }
        if (!Files.isDirectory(RUN_DIR)) {
            return Optional.of("systemd-resolved is not running (no " + RUN_DIR + ")");
        }
        return ownNetworkNamespace();
    }

    /**
     * {@code ~vm} on {@code bridge} to {@code server}; DNSSEC and DNS-over-TLS off for that link
     * only, since the zone is unsigned and plain (a host with DNSSEC=yes would reject every answer).
     * A failure part way takes back what was set.
     */
    synchronized void route(String bridge, InetSocketAddress server) {
        String address = server.getAddress().getHostAddress() + ":" + server.getPort();
        try {
            resolvectl("dns", bridge, address);
            resolvectl("domain", bridge, "~vm");
            resolvectl("dnssec", bridge, "no");
            resolvectl("dnsovertls", bridge, "no");
            routedBridge = bridge;
        } catch (CommandFailedException e) {
            try {
                resolvectl("revert", bridge);
            } catch (CommandFailedException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    synchronized boolean routed() {
        return routedBridge != null;
    }

    /** Takes the link's settings back, if this daemon set them. */
    synchronized void revert() {
        if (routedBridge == null) {
            return;
        }
        String bridge = routedBridge;
        routedBridge = null;
        resolvectl("revert", bridge);
    }

    /** Never a polkit prompt: a daemon run by a developer in a desktop session would pop one up. */
    private void resolvectl(String... args) {
        String[] argv = new String[args.length + 2];
        argv[0] = "resolvectl";
        argv[1] = "--no-ask-password";
        System.arraycopy(args, 0, argv, 2, args.length);
        runner.run(Command.of(argv).withTimeout(TIMEOUT));
    }

    /**
     * resolved serves the host's network namespace; from another one (a test's, a container's
     * without its own resolved) the bridge is not a link it knows, and the same name may be another
     * link of the host's.
     */
    private static Optional<String> ownNetworkNamespace() {
        try {
            Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/net"));
            Path init = Files.readSymbolicLink(Path.of("/proc/1/ns/net"));
            return ours.equals(init) ? Optional.empty()
                    : Optional.of("bangerd runs in a network namespace of its own (" + ours + "), not systemd-resolved's");
        } catch (IOException | SecurityException e) {
            return Optional.empty(); // cannot tell (not root): assume the host's, as almost every install is
        }
    }
}
