package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.config.Config;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.FakeRegistry;
import dev.banger.daemon.image.testing.SmallFilesystem;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.rpc.Wire;
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
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon on a small loop-mounted state dir, asked over its socket to pull an image that does
 * not fit: the answer carries the code {@code no_space} and the message naming the path, and the
 * daemon answers the next request as before.
 */
class DaemonDiskFullTest {

    @TempDir
    Path dir;
    SmallFilesystem disk;
    FakeRegistry registry;
    Daemon daemon;

    @AfterEach
    void close() throws IOException {
        if (daemon != null) {
            daemon.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void aPullThatDoesNotFitIsAnsweredNoSpaceAndTheDaemonKeepsServing() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mounting a loop filesystem needs root");
        disk = SmallFilesystem.mount(dir, 64);
        byte[] noise = new byte[8 << 20];
        new Random(2).nextBytes(noise);
        registry = new FakeRegistry();
        registry.serve("big", "v1", TestImage.image(List.of(new TestLayer().dir("usr", 0755).file("noise", noise, 0644).gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        Config base = Config.under(disk.root().resolve("banger"));
        daemon = Daemon.open(base.withVm(base.vm().withDnsListen("off")));
        daemon.serve();
        disk.fill(4 << 20);

        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(daemon.socketPath()));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            JsonNode pull = call(ch, in, 1, "image.pull", "{\"ref\":\"" + registry.host() + "/big:v1\",\"name\":\"big\"}");
            assertThat(pull.path("error").path("data").path("code").asText()).as(pull.toString()).isEqualTo("no_space");
            assertThat(pull.path("error").path("message").asText()).startsWith("no space left on " + disk.root())
                    .contains("while downloading layer sha256:");

            JsonNode list = call(ch, in, 2, "image.list", "{}");
            assertThat(list.path("result").path("images").isArray()).as(list.toString()).isTrue();
            assertThat(list.path("result").path("images")).isEmpty();
        }
    }

    /** Sends one request and returns its answer (skipping progress notifications). */
    private static JsonNode call(SocketChannel ch, BufferedReader in, int id, String method, String params) throws IOException {
        ByteBuffer request = ByteBuffer.wrap(("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":"
                + params + "}\n").getBytes(StandardCharsets.UTF_8));
        while (request.hasRemaining()) {
            ch.write(request);
        }
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            JsonNode answer = Wire.mapper().readTree(line);
            if (answer.path("id").asInt(-1) == id) {
                return answer;
            }
        }
        throw new IOException("the daemon closed the connection before answering " + method);
    }
}
