package dev.banger.cli.client;

import dev.banger.core.rpc.Json;
import dev.banger.core.rpc.Protocol;
import dev.banger.core.rpc.StreamFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bytes of a file or directory that travel beside a request, on a connection of their own
 * (see {@link Protocol#STREAM_OPEN}). The CLI opens the user's files with the user's rights and
 * sends their bytes, so bangerd never opens a path a caller names. The request carries
 * {@link #token()}; the bytes move on a thread of their own while the request runs.
 */
public final class ByteStream implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String token;
    private final SocketChannel channel;
    private Thread mover;
    private volatile IOException failure;
    private volatile long bytes;

    private ByteStream(String token, SocketChannel channel) {
        this.token = token;
        this.channel = channel;
    }

    private ByteStream start(Mover body) {
        mover = new Thread(() -> {
            try {
                body.move();
            } catch (IOException e) {
                failure = e;
            }
        }, "banger-stream");
        mover.setDaemon(true);
        mover.start();
        return this;
    }

    @FunctionalInterface
    private interface Mover {
        void move() throws IOException;
    }

    /** Sends {@code source} to the daemon (the source is closed at the end). */
    public static ByteStream upload(Path socket, InputStream source) {
        String token = newToken();
        SocketChannel ch = open(socket, token);
        ByteStream self = new ByteStream(token, ch);
        return self.start(() -> {
            StreamFrames.Writer out = new StreamFrames.Writer(Channels.newOutputStream(ch));
            try (source) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = source.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    self.bytes += n;
                }
                out.close();
            } catch (IOException e) {
                out.abort(); // the daemon sees a stream cut short, never a complete-looking one
                throw e;
            }
        });
    }

    /** Receives what the daemon sends into {@code sink} (not closed: the caller owns it). */
    public static ByteStream download(Path socket, OutputStream sink) {
        String token = newToken();
        SocketChannel ch = open(socket, token);
        ByteStream self = new ByteStream(token, ch);
        return self.start(() -> {
            try (InputStream in = new StreamFrames.Reader(Channels.newInputStream(ch))) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    sink.write(buf, 0, n);
                    self.bytes += n;
                }
                sink.flush();
            }
        });
    }

    private static SocketChannel open(Path socket, String token) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            Map<String, Object> open = new LinkedHashMap<>();
            open.put("jsonrpc", Protocol.JSONRPC);
            open.put("method", Protocol.STREAM_OPEN);
            open.put("params", Map.of("token", token));
            Channels.newOutputStream(ch).write((Json.write(open) + "\n").getBytes(StandardCharsets.UTF_8));
            return ch;
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // Never used.
                }
            }
            throw new DaemonUnreachableException(socket, "cannot open a stream connection to bangerd at " + socket + ": " + e.getMessage(), e);
        }
    }

    private static String newToken() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** What the request's params name this stream by. */
    public String token() {
        return token;
    }

    public long bytes() {
        return bytes;
    }

    /** Waits until the bytes have moved; throws what stopped them. */
    public void await() throws IOException {
        try {
            mover.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted");
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops moving bytes (the other side sees the stream cut short). */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }
}
