package dev.banger.daemon.system;

import dev.banger.core.rpc.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Waits for a daemon to answer {@code ping} on its socket: install, restart and update block on this
 * (up to 15 s). {@link #call} sends one other request the same way (update asks about operations).
 */
public final class DaemonPing {

    public static final Duration WAIT = Duration.ofSeconds(15);

    private DaemonPing() {
    }

    public static boolean answers(Path socket) {
        try {
            call(socket, "ping", null);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One JSON-RPC request; its {@code result}, or an IOException when the daemon does not answer or answers an error. */
    public static Object call(Path socket, String method, Object params) throws IOException {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("jsonrpc", "2.0");
        request.put("id", 1);
        request.put("method", method);
        if (params != null) {
            request.put("params", params);
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // A daemon that accepts but never answers must not hang install: close the channel after 2 s.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(2_000);
                    ch.close();
                } catch (InterruptedException | IOException done) {
                    // answered in time, or already closed
                }
            });
            try {
                return exchange(ch, socket, Json.write(request) + "\n");
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private static Object exchange(SocketChannel ch, Path socket, String request) throws IOException {
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
        var reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        String line = reader.readLine();
        if (line == null || !(Json.parse(line) instanceof Map<?, ?> answer) || !answer.containsKey("result")) {
            throw new IOException("no result from " + socket + ": " + line);
        }
        return answer.get("result");
    }

    public static boolean await(Path socket, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (answers(socket)) {
                return true;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return false;
    }
}
