package dev.banger.daemon.system;

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

/** Waits for a daemon to answer {@code ping} on its socket: install and restart block on this (up to 15 s). */
final class DaemonPing {

    static final Duration WAIT = Duration.ofSeconds(15);
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n";

    private DaemonPing() {
    }

    static boolean answers(Path socket) {
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
                return exchange(ch, socket);
            } finally {
                watchdog.interrupt();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean exchange(SocketChannel ch, Path socket) throws IOException {
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.write(ByteBuffer.wrap(PING.getBytes(StandardCharsets.UTF_8)));
        var reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        String line = reader.readLine();
        return line != null && line.contains("\"result\"");
    }

    static boolean await(Path socket, Duration timeout) throws InterruptedException {
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
