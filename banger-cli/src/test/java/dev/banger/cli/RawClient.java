package dev.banger.cli;

import dev.banger.core.rpc.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A bare socket client for sending what the real CLI never would: broken JSON, huge lines, silence. */
final class RawClient implements AutoCloseable {

    private final SocketChannel ch;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    RawClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Shuts down our writing side only, as `echo ... | socat` does after sending. */
    void finishSending() throws IOException {
        ch.shutdownOutput();
    }

    /** Next line from the daemon as a JSON object, or null at end of stream; fails after 10 s. */
    @SuppressWarnings("unchecked")
    Map<String, Object> readMessage() throws Exception {
        String line = readLine(Duration.ofSeconds(10));
        return line == null ? null : (Map<String, Object>) Json.parse(line);
    }

    String readLine(Duration timeout) throws Exception {
        return CompletableFuture.supplyAsync(this::readLineBlocking).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private String readLineBlocking() {
        try {
            ByteBuffer one = ByteBuffer.allocate(1);
            while (true) {
                one.clear();
                if (ch.read(one) <= 0) {
                    return pending.size() == 0 ? null : drain();
                }
                if (one.get(0) == '\n') {
                    return drain();
                }
                pending.write(one.get(0));
            }
        } catch (IOException e) {
            return null;
        }
    }

    private String drain() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> field(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObject(Object o) {
        return (Map<String, Object>) o;
    }
}
