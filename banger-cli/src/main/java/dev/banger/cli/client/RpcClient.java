package dev.banger.cli.client;

import dev.banger.core.api.RpcMethod;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Json;
import dev.banger.core.rpc.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A JSON-RPC connection to bangerd over the JDK's own Unix-domain socket channel (faster to
 * start and to use than jnr, see java-facts). One request at a time; progress notifications that
 * arrive before the response go to the caller's listener.
 */
public final class RpcClient implements AutoCloseable {

    /** Receives a long operation's progress events (stage, done, total). */
    @FunctionalInterface
    public interface ProgressListener {
        void onProgress(Map<String, Object> event);

        ProgressListener IGNORE = e -> { };
    }

    /** Quick requests answer in milliseconds; a daemon silent this long is stuck. */
    public static final Duration QUICK_TIMEOUT = Duration.ofSeconds(60);
    /** Long operations stream progress, but one stage (mkfs of a big image) may be quiet for minutes. */
    public static final Duration LONG_TIMEOUT = Duration.ofMinutes(30);

    private final Path socket;
    private final Duration idleTimeout;
    private final SocketChannel channel;
    private final OutputStream out;
    private final BufferedReader in;
    private long nextId = 1;

    private volatile long deadlineNanos;
    private volatile boolean timedOut;

    private RpcClient(Path socket, SocketChannel channel, Duration idleTimeout) {
        this.socket = socket;
        this.idleTimeout = idleTimeout;
        this.channel = channel;
        this.out = Channels.newOutputStream(channel);
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    public static RpcClient connect(Path socket) {
        return connect(socket, QUICK_TIMEOUT);
    }

    /** A connection whose calls fail when the daemon says nothing (no answer, no progress) for {@code idleTimeout}. */
    public static RpcClient connect(Path socket, Duration idleTimeout) {
        StartupTrace.mark("parse+command");
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            RpcClient client = new RpcClient(socket, ch, idleTimeout);
            StartupTrace.mark("connect");
            return client;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new DaemonUnreachableException(socket, describeConnectFailure(socket, e), e);
        }
    }

    private static String describeConnectFailure(Path socket, IOException e) {
        if (!Files.exists(socket)) {
            return "bangerd is not running (no socket at " + socket + ")";
        }
        if (e instanceof AccessDeniedException || String.valueOf(e.getMessage()).contains("Permission denied")) {
            return "permission denied on " + socket + ": join group 'banger' (sudo usermod -aG banger $USER, then log in again)";
        }
        return "cannot connect to bangerd at " + socket + ": " + e.getMessage();
    }

    /** Starts sending {@code source} on a stream connection of its own; put its token in the request. */
    public ByteStream upload(java.io.InputStream source) {
        return ByteStream.upload(socket, source);
    }

    /** Starts receiving a download into {@code sink}; put its token in the request. */
    public ByteStream download(OutputStream sink) {
        return ByteStream.download(socket, sink);
    }

    public Object call(String method, Map<String, Object> params) {
        return call(method, params, ProgressListener.IGNORE);
    }

    public <P, R> R call(RpcMethod<P, R> method, P params) {
        return call(method, params, ProgressListener.IGNORE);
    }

    /** {@link #call(String, Map, ProgressListener)} with the method's params and result records. */
    public <P, R> R call(RpcMethod<P, R> method, P params, ProgressListener progress) {
        return method.result().read(call(method.name(), method.params().params(params), progress));
    }

    /** Sends one request and waits for its response; daemon errors come back as {@link BangerException}. */
    public Object call(String method, Map<String, Object> params, ProgressListener progress) {
        long id = nextId++;
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("jsonrpc", Protocol.JSONRPC);
        req.put("id", id);
        req.put("method", method);
        req.put("protocol", Protocol.VERSION);
        if (params != null && !params.isEmpty()) {
            req.put("params", params);
        }
        Thread watchdog = startWatchdog();
        try {
            out.write((Json.write(req) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String line = in.readLine();
                deadlineNanos = System.nanoTime() + idleTimeout.toNanos();
                if (line == null) {
                    throw new DaemonUnreachableException(socket, "bangerd closed the connection before answering "
                            + method + " (see its log)", null);
                }
                if (!(Json.parse(line) instanceof Map<?, ?> msg)) {
                    throw new IOException("bangerd sent something that is not a JSON object");
                }
                if (Protocol.PROGRESS.equals(msg.get("method"))) {
                    progress.onProgress(asMap(msg.get("params")));
                    continue;
                }
                if (msg.containsKey("error")) {
                    throw toException(asMap(msg.get("error")));
                }
                StartupTrace.mark("request");
                return msg.get("result");
            }
        } catch (IOException e) {
            if (timedOut) {
                throw new DaemonUnreachableException(socket, "bangerd said nothing about " + method + " for "
                        + idleTimeout.toSeconds() + " s and looks stuck; `banger daemon operations` and its log tell more", e);
            }
            throw new DaemonUnreachableException(socket, "lost the connection to bangerd at " + socket + ": " + e.getMessage(), e);
        } finally {
            watchdog.interrupt();
        }
    }

    /** Closes the channel (ending a blocked read) once the daemon has been silent past the deadline. */
    private Thread startWatchdog() {
        deadlineNanos = System.nanoTime() + idleTimeout.toNanos();
        Thread t = new Thread(() -> {
            try {
                long left;
                while ((left = deadlineNanos - System.nanoTime()) > 0) {
                    Thread.sleep(Duration.ofNanos(left));
                }
                timedOut = true;
                close();
            } catch (InterruptedException answered) {
                // The call finished first.
            }
        }, "rpc-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static BangerException toException(Map<String, Object> error) {
        Map<String, Object> data = asMap(error.get("data"));
        String code = data.get("code") instanceof String s ? s : ErrorCode.OPERATION_FAILED.wire();
        String opId = data.get("op_id") instanceof String s ? s : null;
        return new BangerException(ErrorCode.fromWire(code), String.valueOf(error.get("message")), opId, null);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // Nothing left to do with a closed socket.
            }
        }
    }
}
