package dev.banger.daemon.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** READY=1 reaches a real datagram socket, as systemd's notify socket receives it. */
class SdNotifyTest {

    @Test
    void readySendsReadyToNotifySocket(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("notify");
        try (UnixDatagramChannel systemd = UnixDatagramChannel.open()) {
            systemd.bind(new UnixSocketAddress(sock.toFile()));
            assertThat(SdNotify.ready(Map.of(SdNotify.ENV, sock.toString()))).isTrue();
            ByteBuffer buf = ByteBuffer.allocate(256);
            systemd.receive(buf);
            buf.flip();
            assertThat(StandardCharsets.UTF_8.decode(buf).toString()).startsWith("READY=1\n");
        }
    }

    @Test
    void withoutNotifySocketNothingIsSent() throws Exception {
        assertThat(SdNotify.ready(Map.of())).isFalse();
    }
}
