package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.cli.client.ByteStream;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.StreamFrames;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.rpc.MethodTable;
import dev.banger.daemon.rpc.PeerPolicy;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.rpc.Wire;
import dev.banger.daemon.store.Store;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte streams beside a request, over the real RPC server and the CLI's client: what the CLI
 * sends arrives whole, what the daemon sends arrives whole, and a stream cut short is never taken
 * for a complete one on either side.
 */
class ByteStreamTest {

    @TempDir
    Path dir;
    Store store;
    RpcServer server;
    Path socket;

    @BeforeEach
    void start() throws Exception {
        store = Store.open(dir.resolve("banger.db"));
        MethodTable methods = new MethodTable()
                .add("test.upload", true, (p, ctx) -> {
                    String token = (String) p.as(Map.class).get("token");
                    try (InputStream in = ctx.client().streams().upload(token)) {
                        MessageDigest sha = MessageDigest.getInstance("SHA-256");
                        long size = 0;
                        byte[] buf = new byte[8192];
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            sha.update(buf, 0, n);
                            size += n;
                        }
                        return Map.of("size", size, "sha256", HexFormat.of().formatHex(sha.digest()));
                    }
                })
                .add("test.download", true, (p, ctx) -> {
                    Map<?, ?> params = p.as(Map.class);
                    int size = ((Number) params.get("size")).intValue();
                    OutputStream out = ctx.client().streams().download((String) params.get("token"));
                    out.write(bytes(size));
                    if (Boolean.TRUE.equals(params.get("fail"))) {
                        throw BangerException.badRequest("failed half-way");
                    }
                    out.close();
                    return Map.of("sent", size);
                });
        socket = dir.resolve("t.sock");
        server = new RpcServer(socket, methods, new Operations(store, Clock.systemUTC()), PeerPolicy.forThisProcess(),
                Wire.mapper(), Duration.ofSeconds(5), 16, Duration.ofSeconds(2));
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    static byte[] bytes(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @Test
    void anUploadArrivesWhole() throws Exception {
        byte[] data = bytes(20 * 1024 * 1024 + 17);
        try (RpcClient c = RpcClient.connect(socket)) {
            ByteStream up = c.upload(new ByteArrayInputStream(data));
            Map<?, ?> r = (Map<?, ?>) c.call("test.upload", Map.of("token", up.token()));
            up.await();
            assertThat(((Number) r.get("size")).longValue()).isEqualTo(data.length);
            assertThat(r.get("sha256")).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)));
        }
    }

    @Test
    void aDownloadArrivesWhole() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (RpcClient c = RpcClient.connect(socket)) {
            ByteStream down = c.download(sink);
            c.call("test.download", Map.of("token", down.token(), "size", 50_000_000));
            down.await();
        }
        assertThat(sink.toByteArray()).isEqualTo(bytes(50_000_000));
    }

    @Test
    void anUploadWhoseSourceFailsIsAFailureNotAShortFile() {
        InputStream failing = new InputStream() {
            int left = 300_000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("disk error");
                }
                return 'x';
            }
        };
        try (RpcClient c = RpcClient.connect(socket)) {
            ByteStream up = c.upload(failing);
            assertThatThrownBy(() -> c.call("test.upload", Map.of("token", up.token())))
                    .isInstanceOf(BangerException.class)
                    .hasMessageContaining("broke off");
            assertThatThrownBy(up::await).hasMessageContaining("disk error");
        }
    }

    @Test
    void aDownloadCutShortByAFailureIsSeenAsTruncated() {
        try (RpcClient c = RpcClient.connect(socket)) {
            ByteStream down = c.download(OutputStream.nullOutputStream());
            assertThatThrownBy(() -> c.call("test.download", Map.of("token", down.token(), "size", 100_000, "fail", true)))
                    .isInstanceOf(BangerException.class).hasMessageContaining("failed half-way");
            assertThatThrownBy(down::await).isInstanceOf(StreamFrames.TruncatedStreamException.class);
        }
    }

    @Test
    void aRequestWhoseStreamNeverComesFailsNamingIt() {
        try (RpcClient c = RpcClient.connect(socket)) {
            assertThatThrownBy(() -> c.call("test.upload", Map.of("token", "0123456789abcdef0123")))
                    .isInstanceOf(BangerException.class)
                    .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST))
                    .hasMessageContaining("did not open the stream");
        }
    }
}
