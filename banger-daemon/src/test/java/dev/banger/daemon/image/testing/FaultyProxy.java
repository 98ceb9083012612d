package dev.banger.daemon.image.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on {@code 127.0.0.1} in front of a loopback server that can break a connection
 * the way a bad network does: once armed with {@link #resetAfter}, the first connection to have
 * carried that many bytes from the server is reset (RST, no FIN) in both directions. It counts
 * the bytes it carried from the server and records the head of every request it passed on.
 */
public final class FaultyProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final AtomicLong downstreamBytes = new AtomicLong();
    private final AtomicLong bytesBeforeReset = new AtomicLong(-1);
    private final AtomicBoolean armed = new AtomicBoolean();
    private volatile long resetAfter = Long.MAX_VALUE;
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Proxies to {@code host:port} on loopback. */
    public FaultyProxy(String targetHostPort) {
        int colon = targetHostPort.lastIndexOf(':');
        target = new InetSocketAddress(targetHostPort.substring(0, colon), Integer.parseInt(targetHostPort.substring(colon + 1)));
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public String host() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** The next connection to carry {@code bytes} from the server is reset right after; once. */
    public void resetAfter(long bytes) {
        resetAfter = bytes;
        armed.set(true);
    }

    /** Bytes carried from the server to clients, over all connections. */
    public long downstreamBytes() {
        return downstreamBytes.get();
    }

    /** Bytes the reset connection had carried from the server when it was reset; -1 before. */
    public long bytesBeforeReset() {
        return bytesBeforeReset.get();
    }

    /** Request lines and headers, one string per request, in order. */
    public List<String> requestHeads() {
        return List.copyOf(requestHeads);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                Thread.ofVirtual().start(() -> upstream(client, server));
                Thread.ofVirtual().start(() -> downstream(server, client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void upstream(Socket client, Socket server) {
        StringBuilder head = new StringBuilder();
        try (InputStream in = client.getInputStream(); OutputStream out = server.getOutputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                head.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                int end;
                while ((end = head.indexOf("\r\n\r\n")) >= 0) { // GETs only: no bodies to skip
                    requestHeads.add(head.substring(0, end));
                    head.delete(0, end + 4);
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side went away
        } finally {
            closeQuietly(server);
        }
    }

    private void downstream(Socket server, Socket client) {
        long carried = 0;
        try (InputStream in = server.getInputStream(); OutputStream out = client.getOutputStream()) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                int send = n;
                boolean reset = armed.get() && carried + n >= resetAfter && armed.compareAndSet(true, false);
                if (reset) {
                    send = (int) (resetAfter - carried);
                }
                out.write(buf, 0, send);
                out.flush();
                carried += send;
                downstreamBytes.addAndGet(send);
                if (reset) {
                    bytesBeforeReset.set(carried);
                    client.setSoLinger(true, 0); // close sends RST
                    client.close();
                    server.close();
                    return;
                }
            }
        } catch (IOException e) {
            // either side went away
        } finally {
            closeQuietly(client);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(FaultyProxy::closeQuietly);
    }
}
