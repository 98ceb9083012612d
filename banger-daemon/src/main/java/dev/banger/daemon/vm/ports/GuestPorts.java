package dev.banger.daemon.vm.ports;

import dev.banger.core.api.VmApi.Port;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.ExecResult;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.GuestSshException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A running guest's listening TCP and UDP ports with their processes, and for each TCP port the
 * host can reach, whether it answers HTTP. One port bound on several addresses (0.0.0.0 and ::)
 * is one entry.
 */
public final class GuestPorts {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** The script forks once for every process's descriptors; a Debian guest under TCG needs a few seconds. */
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);

    private final GuestSsh ssh;
    private final int sshPort;
    private final HttpProbe probe = new HttpProbe(Duration.ofSeconds(1), Duration.ofSeconds(2));

    /** {@code sshPort}: where banger's SSH reaches the guest; known to be SSH, so never probed for HTTP. */
    public GuestPorts(GuestSsh ssh, int sshPort) {
        this.ssh = ssh;
        this.sshPort = sshPort;
    }

    /** The ports of the guest {@code vmName} at {@code ip}, TCP first, each by port number. */
    public List<Port> list(String vmName, String ip, Consumer<String> progress) {
        progress.accept("list sockets");
        ExecResult r;
        try {
            r = ssh.exec(ip, sshPort, ListeningSockets.SCRIPT, CONNECT_TIMEOUT, SCRIPT_TIMEOUT);
        } catch (GuestSshException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot list the ports of VM " + vmName + ": " + e.getMessage());
        }
        if (r.exitCode() != 0) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "listing the ports of VM " + vmName + " failed (exit "
                    + r.exitCode() + "): " + r.stderr().strip());
        }
        Map<String, Merged> byPort = new LinkedHashMap<>();
        for (ListeningSockets.Listener l : ListeningSockets.parse(r.stdout())) {
            byPort.computeIfAbsent(l.proto() + "/" + l.port(), k -> new Merged(l.proto(), l.port())).add(l);
        }
        List<Merged> ports = byPort.values().stream()
                .sorted(Comparator.comparing(Merged::proto).thenComparingInt(Merged::port)).toList();
        progress.accept("probe http");
        Map<Merged, Future<Boolean>> http = new LinkedHashMap<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Merged m : ports) {
                if (m.proto.equals("tcp") && m.reachable && m.port != sshPort) {
                    http.put(m, pool.submit(() -> probe.answersHttp(ip, m.port, vmName + ".vm")));
                }
            }
        }
        List<Port> out = new ArrayList<>();
        for (Merged m : ports) {
            boolean answered = http.containsKey(m) && done(http.get(m));
            String endpoint = m.reachable ? vmName + ".vm:" + m.port : hostPort(m.addresses.iterator().next(), m.port);
            out.add(new Port(m.proto, m.port, List.copyOf(m.addresses), String.join(",", m.names), List.copyOf(m.pids), endpoint,
                    answered ? "http://" + vmName + ".vm:" + m.port + "/" : null));
        }
        return out;
    }

    private static String hostPort(String address, int port) {
        return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
    }

    private static boolean done(Future<Boolean> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The sockets of one protocol and port, whatever addresses they are bound to. */
    private static final class Merged {
        final String proto;
        final int port;
        final Set<String> addresses = new LinkedHashSet<>();
        final Set<String> names = new LinkedHashSet<>();
        final Set<Long> pids = new TreeSet<>();
        boolean reachable;

        Merged(String proto, int port) {
            this.proto = proto;
            this.port = port;
        }

        String proto() {
            return proto;
        }

        int port() {
            return port;
        }

        void add(ListeningSockets.Listener l) {
            addresses.add(ListeningSockets.text(l.address()));
            l.processes().forEach(p -> {
                names.add(p.name());
                pids.add(p.pid());
            });
            reachable |= !l.address().isLoopbackAddress();
        }
    }
}
