package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.daemon.ops.Operations;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Serves JSON-RPC 2.0, one message per line, on a Unix socket. One platform thread accepts; each
 * connection gets a platform reader thread (jnr reads are native calls, which would pin a virtual
 * thread's carrier) and runs each request's handler on a virtual thread, so a connection can
 * stream progress while it keeps listening for the hang-up that cancels its work.
 */
public final class RpcServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);

    private final Path socketPath;
    private final MethodTable methods;
    private final Operations operations;
    private final PeerPolicy policy;
    private final ObjectMapper mapper;
    private final Duration idleTimeout;
    private final int maxConnections;
    private final StreamRendezvous streams;
    private final Set<RpcConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionCounter = new AtomicLong();
    private UnixServerSocketChannel server;
    private Thread acceptor;
    private Thread reaper;
    private volatile boolean closing;

    /** How long a request waits for the stream connection it announced, and a stream for its request. */
    public static final Duration STREAM_WAIT = Duration.ofSeconds(60);

    public RpcServer(Path socketPath, MethodTable methods, Operations operations, PeerPolicy policy,
                     ObjectMapper mapper, Duration idleTimeout, int maxConnections, Duration streamWait) {
        this.streams = new StreamRendezvous(streamWait);
        this.socketPath = socketPath;
        this.methods = methods;
        this.operations = operations;
        this.policy = policy;
        this.mapper = mapper;
        this.idleTimeout = idleTimeout;
        this.maxConnections = maxConnections;
    }

    /** Binds the socket (0660, group banger when it exists) and starts accepting. */
    public void start() throws IOException {
        removeStaleSocket();
        server = UnixServerSocketChannel.open();
        server.socket().bind(new UnixSocketAddress(socketPath.toFile()));
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-rw----"));
        setGroupIfPresent();
        acceptor = Thread.ofPlatform().name("rpc-accept").daemon().start(this::acceptLoop);
        reaper = Thread.ofPlatform().name("rpc-idle-reaper").daemon().start(this::reapIdle);
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
            RpcConnection c = new RpcConnection(ch, methods, operations, policy, mapper, streams, connections::remove);
            if (connections.size() >= maxConnections) {
                c.refuse("bangerd has " + connections.size() + " open connections, its limit; try again");
                continue;
            }
            connections.add(c);
            Thread.ofPlatform().name("rpc-conn-" + connectionCounter.incrementAndGet()).daemon().start(c::serve);
        }
    }

    private void reapIdle() {
        while (!closing) {
            try {
                Thread.sleep(Math.max(50, Math.min(1000, idleTimeout.toMillis() / 4)));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (RpcConnection c : connections) {
                if (c.idleNanos(now) > idleTimeout.toNanos()) {
                    log.debug("closing connection idle for more than {} ms", idleTimeout.toMillis());
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
        for (RpcConnection c : connections) {
            c.cancelAndClose();
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

    private void setGroupIfPresent() throws IOException {
        try {
            GroupPrincipal group = socketPath.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(PeerPolicy.GROUP);
            Files.setAttribute(socketPath, "posix:group", group);
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
