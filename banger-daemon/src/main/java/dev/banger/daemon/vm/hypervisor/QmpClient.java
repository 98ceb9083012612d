package dev.banger.daemon.vm.hypervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * A QEMU Machine Protocol connection: reads the greeting, negotiates capabilities, then runs
 * commands one at a time, each with its own deadline. QMP is line-delimited JSON; asynchronous
 * events arriving between a command and its answer are skipped.
 */
final class QmpClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private QmpClient(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /** Connects to {@code socket} and completes the handshake within {@code timeout}. */
    static QmpClient connect(Path socket, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = null;
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            QmpClient qmp = new QmpClient(channel, selector);
            long deadline = System.nanoTime() + timeout.toNanos();
            if (!qmp.readMessage(deadline).has("QMP")) {
                throw new IOException("no QMP greeting on " + socket);
            }
            qmp.send("qmp_capabilities");
            qmp.awaitReturn("qmp_capabilities", deadline);
            return qmp;
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    /** Runs {@code command} and returns its {@code return} value; an {@code error} answer is an IOException. */
    JsonNode execute(String command, Duration timeout) throws IOException {
        return execute(command, null, timeout);
    }

    /** As above, with the command's {@code arguments} (null: none). */
    JsonNode execute(String command, ObjectNode arguments, Duration timeout) throws IOException {
        send(command, arguments);
        return awaitReturn(command, System.nanoTime() + timeout.toNanos());
    }

    /** An empty arguments object to fill. */
    static ObjectNode arguments() {
        return JSON.createObjectNode();
    }

    private void send(String command) throws IOException {
        send(command, null);
    }

    private void send(String command, ObjectNode arguments) throws IOException {
        ObjectNode request = JSON.createObjectNode().put("execute", command);
        if (arguments != null) {
            request.set("arguments", arguments);
        }
        ByteBuffer out = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out); // a few dozen bytes into an idle socket: never blocks for long
        }
    }

    private JsonNode awaitReturn(String command, long deadline) throws IOException {
        while (true) {
            JsonNode message = readMessage(deadline);
            if (message.has("return")) {
                return message.get("return");
            }
            if (message.has("error")) {
                throw new IOException("QMP " + command + " failed: " + message.get("error").path("desc").asText());
            }
        }
    }

    private JsonNode readMessage(long deadline) throws IOException {
        while (true) {
            byte[] bytes = line.toByteArray();
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    line.reset();
                    line.write(bytes, i + 1, bytes.length - i - 1);
                    return JSON.readTree(new String(bytes, 0, i, StandardCharsets.UTF_8));
                }
            }
            long waitMillis = (deadline - System.nanoTime()) / 1_000_000;
            if (waitMillis <= 0) {
                throw new IOException("QMP did not answer in time");
            }
            selector.select(waitMillis);
            selector.selectedKeys().clear();
            readBuffer.clear();
            int n = channel.read(readBuffer);
            if (n < 0) {
                throw new EOFException("QMP connection closed");
            }
            line.write(readBuffer.array(), 0, n);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
