package dev.banger.daemon.vm.identity;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The host end of a guest's identity port, connected as soon as the hypervisor listens on it. A
 * read of the port blocks while its host end is connected and returns at once while it is not, so
 * the guest's agent polls only while nobody is connected. Held while a snapshot is saved, the link
 * leaves the saved agent waiting in a blocking read; connected while a clone's saved state still
 * loads, it finds the port as it was saved (QEMU tells the guest only of a change), so the agent
 * reads the identity the moment it is sent instead of at its next poll. A link that does not
 * connect in time costs only that poll.
 */
public final class IdentityLink implements AutoCloseable {

    /** The agent's sleep between reads while no host end is connected (banger-init), plus its way to the read. */
    private static final Duration AGENT_POLL = Duration.ofMillis(700);
    private static final Duration RETRY = Duration.ofMillis(5);

    private final UnixDomainSocketAddress address;
    private final CompletableFuture<SocketChannel> connected = new CompletableFuture<>();
    private volatile boolean closed;

    private IdentityLink(Path socket) {
        this.address = UnixDomainSocketAddress.of(socket);
    }

    /** Starts connecting to {@code socket} in the background, retrying until it listens, for up to {@code patience}. */
    public static IdentityLink connecting(Path socket, Duration patience) {
        IdentityLink link = new IdentityLink(socket);
        Thread.ofVirtual().name("identity-link").start(() -> link.connect(patience));
        return link;
    }

    /**
     * A link held while a running guest is saved: connected, then kept for the agent's poll
     * interval so the agent is in its blocking read when the state is saved. Not connected within a
     * moment (a VM started without the port), it waits no longer.
     */
    public static IdentityLink heldForSave(Path socket) {
        IdentityLink link = connecting(socket, Duration.ofMillis(200));
        try {
            link.channel(Duration.ofMillis(300));
            Thread.sleep(AGENT_POLL);
        } catch (IOException e) {
            // No port: the saved agent polls, clones just take its poll interval longer.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the save that follows is cancelled
        }
        return link;
    }

    private void connect(Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!closed) {
            try {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(address);
                } catch (IOException e) {
                    channel.close();
                    throw e;
                }
                if (!connected.complete(channel) || closed) {
                    channel.close();
                }
                return;
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    connected.completeExceptionally(e);
                    return;
                }
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException interrupted) {
                    connected.completeExceptionally(interrupted);
                    return;
                }
            }
        }
        connected.completeExceptionally(new IOException("the identity link was closed"));
    }

    /** The connected channel, waiting up to {@code timeout} for the connection. */
    SocketChannel channel(Duration timeout) throws IOException {
        try {
            return connected.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().toString(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("not connected within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting the identity port");
        }
    }

    @Override
    public void close() {
        closed = true;
        connected.completeExceptionally(new IOException("the identity link was closed"));
        if (!connected.isCompletedExceptionally()) {
            try {
                connected.join().close();
            } catch (IOException ignored) {
                // Closing a Unix socket has nothing to report that would matter here.
            }
        }
    }
}
