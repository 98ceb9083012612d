package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Firecracker's REST API (firecracker-api.yaml) over its Unix socket: one HTTP/1.1 request per
 * connection, JSON bodies, each request with its own deadline. An answer outside 2xx becomes a
 * {@link Fault} carrying Firecracker's {@code fault_message}.
 */
final class FirecrackerApi {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    private static final int MAX_RESPONSE_BYTES = 1 << 20;

    private final Path socket;
    private final Duration timeout;

    FirecrackerApi(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    /** A GET whose 200 answer's body is returned. */
    JsonNode get(String path) throws IOException {
        return exchange("GET", path, null);
    }

    /** A PUT of {@code body}, one of {@link FirecrackerRequests}. */
    void put(String path, Object body) throws IOException {
        exchange("PUT", path, JSON.writeValueAsBytes(body));
    }

    /** A PATCH of {@code body}, one of {@link FirecrackerRequests}. */
    void patch(String path, Object body) throws IOException {
        exchange("PATCH", path, JSON.writeValueAsBytes(body));
    }

    private JsonNode exchange(String method, String path, byte[] body) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            StringBuilder head = new StringBuilder()
                    .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: localhost\r\nAccept: application/json\r\nConnection: close\r\n");
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            write(channel, head.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                write(channel, body);
            }
            return read(channel, selector, method + " " + path, deadline);
        }
    }

    private static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining()) {
            channel.write(out); // a request is a few hundred bytes into an idle socket
        }
    }

    private JsonNode read(SocketChannel channel, Selector selector, String request, long deadline) throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        int bodyStart = -1;
        long contentLength = -1;
        int status = 0;
        while (true) {
            byte[] bytes = in.toByteArray();
            if (bodyStart < 0) {
                bodyStart = headerEnd(bytes);
                if (bodyStart >= 0) {
                    String[] lines = new String(bytes, 0, bodyStart, StandardCharsets.US_ASCII).split("\r\n");
                    String[] statusLine = lines[0].split(" ", 3);
                    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                        throw new IOException(request + ": not an HTTP answer: " + lines[0]);
                    }
                    status = Integer.parseInt(statusLine[1]);
                    contentLength = contentLength(lines);
                }
            }
            if (bodyStart >= 0 && (status == 204 || contentLength >= 0 && bytes.length - bodyStart >= contentLength)) {
                String text = new String(bytes, bodyStart, bytes.length - bodyStart, StandardCharsets.UTF_8);
                return answer(request, status, text);
            }
            long waitMillis = (deadline - System.nanoTime()) / 1_000_000;
            if (waitMillis <= 0) {
                throw new IOException(request + ": Firecracker did not answer within " + timeout.toMillis() + " ms");
            }
            selector.select(waitMillis);
            selector.selectedKeys().clear();
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                if (bodyStart >= 0 && contentLength < 0) { // no length: the body ends with the connection
                    return answer(request, status, new String(bytes, bodyStart, bytes.length - bodyStart, StandardCharsets.UTF_8));
                }
                throw new EOFException(request + ": Firecracker closed the connection before answering");
            }
            if (in.size() + n > MAX_RESPONSE_BYTES) {
                throw new IOException(request + ": Firecracker's answer is over " + MAX_RESPONSE_BYTES + " bytes");
            }
            in.write(buffer.array(), 0, n);
        }
    }

    private static JsonNode answer(String request, int status, String body) throws IOException {
        JsonNode json = body.isBlank() ? MissingNode.getInstance() : JSON.readTree(body);
        if (status / 100 != 2) {
            String fault = json.path("fault_message").asText(body.strip());
            throw new Fault(request, status, fault);
        }
        return json;
    }

    private static int headerEnd(byte[] b) {
        for (int i = 0; i + 3 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }

    private static long contentLength(String[] headerLines) throws IOException {
        for (int i = 1; i < headerLines.length; i++) {
            int colon = headerLines[i].indexOf(':');
            if (colon > 0 && headerLines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                try {
                    return Long.parseLong(headerLines[i].substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + headerLines[i]);
                }
            }
        }
        return -1;
    }

    /** Firecracker refused a request; the message quotes its {@code fault_message}. */
    static final class Fault extends IOException {
        Fault(String request, int status, String faultMessage) {
            super(request + " was refused (HTTP " + status + "): " + faultMessage);
        }
    }
}
