package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.daemon.ops.Operations;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves JSON-RPC 2.0, one message per line, on a Unix socket. One platform thread accepts (and
 * refuses at once what is over a {@link Limits limit}); each connection gets a platform reader
 * thread and a platform writer thread (jnr reads and writes are native calls, which would pin a
 * virtual thread's carrier) and runs each request's handler on a virtual thread, so a connection
 * can stream progress while it keeps listening for the hang-up that cancels its work. One reaper
 * thread closes idle connections, refused peers that linger, and connections whose client stopped
 * reading (their operations are cancelled).
 */
public final class RpcServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

    private final Path socketPath;
    private final MethodTable methods;
    private final Operations operations;
    private final PeerPolicy policy;
    private final ObjectMapper mapper;
    private final Limits limits;
    private final PartialLineBudget lineBudget;
    private final StreamRendezvous streams;
    private final Set<RpcConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionCounter = new AtomicLong();
    private UnixServerSocketChannel server;
    private Thread acceptor;
    private Thread reaper;
    private volatile boolean closing;

    /** How long a request waits for the stream connection it announced, and a stream for its request. */
    public static final Duration STREAM_WAIT = Duration.ofSeconds(60);
    /** How long a client may leave its answers unread (no byte taken) before it is closed and its work cancelled. */
    public static final Duration WRITE_DEADLINE = Duration.ofSeconds(30);
    /** Connections one uid other than root and the daemon's own may hold open. */
    public static final int MAX_CONNECTIONS_PER_UID = 64;
    /** Connections kept for root and the daemon's user: members of group banger cannot take these. */
    public static final int PRIVILEGED_RESERVE = 32;
    /** How long a refused peer stays connected at most, so it can send its request and read why. */
    static final Duration UNAUTHORIZED_LINGER = Duration.ofSeconds(2);
    /** How long a stopping server lets its connections write what they have queued. */
    private static final Duration SHUTDOWN_FLUSH = Duration.ofSeconds(1);

    /**
     * What a connection may hold: {@code maxConnections} in all, of which {@code privilegedReserve}
     * only for root and the daemon's user; {@code maxPerUid} for any other uid; answers unread for
     * {@code writeDeadline}; {@code partialLineBytes} across all connections' unfinished lines.
     */
    public record Limits(Duration idleTimeout, int maxConnections, int privilegedReserve, int maxPerUid,
                         Duration writeDeadline, long partialLineBytes, Duration streamWait) {

        /** The daemon's limits, with the given idle timeout, total and stream wait. */
        public static Limits of(Duration idleTimeout, int maxConnections, Duration streamWait) {
            return new Limits(idleTimeout, maxConnections, Math.min(PRIVILEGED_RESERVE, maxConnections / 4),
                    MAX_CONNECTIONS_PER_UID, WRITE_DEADLINE, PartialLineBudget.DEFAULT_LIMIT_BYTES, streamWait);
        }

        public Limits withWriteDeadline(Duration d) {
            return new Limits(idleTimeout, maxConnections, privilegedReserve, maxPerUid, d, partialLineBytes, streamWait);
        }

        public Limits withPartialLineBytes(long bytes) {
            return new Limits(idleTimeout, maxConnections, privilegedReserve, maxPerUid, writeDeadline, bytes, streamWait);
        }

        /**
         * Why a new connection is refused, or null to accept it: {@code privileged} for root and the
         * daemon's user, {@code openByUid} connections its uid holds, {@code open} in all.
         */
        public String refusal(boolean privileged, int openByUid, int open) {
            if (open >= maxConnections) {
                return "bangerd has " + open + " open connections, its limit; try again";
            }
            if (privileged) {
                return null;
            }
            if (openByUid >= maxPerUid) {
                return "your user has " + openByUid + " open connections to bangerd, the limit per user; close some and try again";
            }
            if (open >= maxConnections - privilegedReserve) {
                return "bangerd has " + open + " open connections, the limit for users other than root; try again";
            }
            return null;
        }
    }

    public RpcServer(Path socketPath, MethodTable methods, Operations operations, PeerPolicy policy,
                     ObjectMapper mapper, Duration idleTimeout, int maxConnections, Duration streamWait) {
        this(socketPath, methods, operations, policy, mapper, Limits.of(idleTimeout, maxConnections, streamWait));
    }

    public RpcServer(Path socketPath, MethodTable methods, Operations operations, PeerPolicy policy,
                     ObjectMapper mapper, Limits limits) {
        this.streams = new StreamRendezvous(limits.streamWait());
        this.lineBudget = new PartialLineBudget(limits.partialLineBytes());
        this.socketPath = socketPath;
        this.methods = methods;
        this.operations = operations;
        this.policy = policy;
        this.mapper = mapper;
        this.limits = limits;
    }

    /**
     * Binds the socket (0660, group banger when it exists) and starts accepting. It is bound and
     * given its mode and group under a temporary name, then renamed into place: whoever sees the
     * path (a client, a script waiting for it) finds it listening, with its final rights.
     */
    public void start() throws IOException {
        removeStaleSocket();
        Path binding = socketPath.resolveSibling(socketPath.getFileName() + ".new");
        Files.deleteIfExists(binding); // a daemon killed between its bind and its rename
        server = UnixServerSocketChannel.open();
        server.socket().bind(new UnixSocketAddress(binding.toFile()));
        Files.setPosixFilePermissions(binding, PosixFilePermissions.fromString("rw-rw----"));
        setGroupIfPresent(binding);
        Files.move(binding, socketPath, StandardCopyOption.ATOMIC_MOVE);
        acceptor = Thread.ofPlatform().name("rpc-accept").daemon().start(this::acceptLoop);
        reaper = Thread.ofPlatform().name("rpc-idle-reaper").daemon().start(this::reap);
        log.info("listening on {}", socketPath);
    }

    public Path socketPath() {
        return socketPath;
    }

    /** Open client connections right now. */
    public int connectionCount() {
        return connections.size();
    }

    private void acceptLoop() {
        while (!closing) {
            UnixSocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    log.warn("accept failed: {}", e.getMessage());
                }
                continue;
            }
            if (ch == null) {
                continue;
            }
            if (closing) {
                closeQuietly(ch);
                break;
            }
            admit(ch);
        }
    }

    private void admit(UnixSocketChannel ch) {
        PeerCredentials peer;
        try {
            peer = RpcConnection.peerOf(ch);
        } catch (IOException e) {
            log.debug("cannot read a new connection's peer: {}", e.getMessage());
            closeQuietly(ch);
            return;
        }
        int byUid = 0;
        for (RpcConnection c : connections) {
            if (c.peer().uid() == peer.uid()) {
                byUid++;
            }
        }
        String refusal = limits.refusal(policy.privileged(peer), byUid, connections.size());
        if (refusal != null) {
            log.warn("refused a connection from {}: {}", peer.describe(), refusal);
            RpcConnection.refuse(ch, mapper, refusal);
            return;
        }
        RpcConnection c = new RpcConnection(ch, peer, policy.denyReason(peer), methods, operations, mapper, streams,
                lineBudget, connections::remove);
        connections.add(c);
        c.start("rpc-conn-" + connectionCounter.incrementAndGet());
    }

    private void reap() {
        long period = Math.max(50, Math.min(1000,
                Math.min(limits.idleTimeout().toMillis(), limits.writeDeadline().toMillis()) / 4));
        while (!closing) {
            try {
                Thread.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (RpcConnection c : connections) {
                if (c.writeStalledNanos(now) > limits.writeDeadline().toNanos()) {
                    log.warn("{} has not read its answers for {} s; closing its connection",
                            c.peer().describe(), limits.writeDeadline().toSeconds());
                    c.cancelAndClose("client does not read");
                } else if (c.unauthorizedLingerOver(now)) {
                    c.hangUp();
                } else if (c.idleNanos(now) > limits.idleTimeout().toNanos()) {
                    log.debug("closing connection idle for more than {} ms", limits.idleTimeout().toMillis());
                    c.hangUp();
                }
            }
        }
    }

    @Override
    public void close() {
        if (server == null || closing) {
            return;
        }
        closing = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing listener: {}", e.getMessage());
        }
        wakeAcceptor();
        reaper.interrupt();
        // Answers already queued (the shutdown request's own) go out first, for a moment at most.
        for (RpcConnection c : connections) {
            c.cancelAndFinish("bangerd is stopping");
        }
        long until = System.nanoTime() + SHUTDOWN_FLUSH.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (RpcConnection c : connections) {
            c.cancelAndClose("bangerd is stopping");
        }
        try {
            acceptor.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            log.warn("cannot remove socket {}: {}", socketPath, e.getMessage());
        }
    }

    /** A blocked native accept() does not return when the listener closes; a connection wakes it. */
    private void wakeAcceptor() {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socketPath))) {
            // Connected: the accept loop sees `closing` and exits.
        } catch (IOException ignored) {
            // Nothing was listening any more, so nothing is blocked.
        }
    }

    private void removeStaleSocket() throws IOException {
        if (!Files.exists(socketPath)) {
            Files.createDirectories(socketPath.getParent());
            return;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socketPath));
            throw new IOException("another bangerd is already serving " + socketPath
                    + " (stop it with `banger daemon stop`, or set socket_path)");
        } catch (java.net.SocketException stale) {
            log.info("removing stale socket {}", socketPath);
            Files.delete(socketPath);
        }
    }

    private void setGroupIfPresent(Path socket) throws IOException {
        try {
            GroupPrincipal group = socket.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(PeerPolicy.GROUP);
            Files.setAttribute(socket, "posix:group", group);
        } catch (UserPrincipalNotFoundException e) {
            log.info("group '{}' does not exist: only root and the daemon's user can use {}", PeerPolicy.GROUP, socketPath);
        } catch (IOException e) {
            // Not root: cannot give the socket to a group we are not in. Only our own user gets in then.
            log.warn("cannot give {} to group '{}': {}", socketPath, PeerPolicy.GROUP, e.getMessage());
        }
    }

    private static void closeQuietly(UnixSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Peer is gone either way.
        }
    }
}
