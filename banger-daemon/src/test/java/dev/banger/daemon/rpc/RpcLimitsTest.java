package dev.banger.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.RpcMethod;
import dev.banger.core.api.Shape;
import dev.banger.core.api.WireType;
import dev.banger.core.model.OperationInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one client can take from the others, on real sockets: a client that does not read, a
 * handler that sends progress faster than its client reads, many connections from one user,
 * refused peers that keep talking, and unfinished request lines.
 */
class RpcLimitsTest {

    private static final Duration WRITE_DEADLINE = Duration.ofSeconds(1);
    private static final Duration IDLE = Duration.ofSeconds(1);
    private static final long PARTIAL_LINE_BYTES = 3L * 1024 * 1024;
    private static final int BURST = 20_000;

    Path dir;
    Store store;
    MethodTable methods;
    RpcServer server;
    Path socket;
    /** Stands in for a VM lock: held by the handler while it sends progress. */
    final ReentrantLock vmLock = new ReentrantLock();
    final AtomicBoolean firstPull = new AtomicBoolean(true);
    final AtomicLong burstNanos = new AtomicLong();

    // The test's own methods, each with its contract like the daemon's.
    /** test.ping takes padding, so a request line can be made as long as a test needs. */
    record PadParams(String pad) {
    }

    record Pong(boolean pong) {
    }

    record Pulled(boolean pulled) {
    }

    record TokenParams(String token) {
    }

    record Sent(boolean sent) {
    }

    record Done(boolean done) {
    }

    record Received(boolean received) {
    }

    private static final RpcMethod<PadParams, Pong> PING = RpcMethod.untracked("test.ping",
            Shape.of(PadParams.class, v -> new PadParams(v.next())).optional("pad", WireType.STRING, PadParams::pad),
            Shape.of(Pong.class, v -> new Pong(v.next())).field("pong", WireType.FLAG, Pong::pong));
    private static final RpcMethod<NoParams, Pulled> PULL = RpcMethod.tracked("test.pull", NoParams.SHAPE,
            Shape.of(Pulled.class, v -> new Pulled(v.next())).field("pulled", WireType.FLAG, Pulled::pulled));
    private static final RpcMethod<TokenParams, Sent> DOWNLOAD = RpcMethod.tracked("test.download",
            Shape.of(TokenParams.class, v -> new TokenParams(v.next())).field("token", WireType.STRING, TokenParams::token),
            Shape.of(Sent.class, v -> new Sent(v.next())).field("sent", WireType.FLAG, Sent::sent));
    private static final RpcMethod<TokenParams, Received> UPLOAD = RpcMethod.tracked("test.upload",
            Shape.of(TokenParams.class, v -> new TokenParams(v.next())).field("token", WireType.STRING, TokenParams::token),
            Shape.of(Received.class, v -> new Received(v.next())).field("received", WireType.FLAG, Received::received));
    private static final RpcMethod<NoParams, Done> BURST_PROGRESS = RpcMethod.tracked("test.burst", NoParams.SHAPE,
            Shape.of(Done.class, v -> new Done(v.next())).field("done", WireType.FLAG, Done::done));

    @BeforeEach
    void start() throws Exception {
        // Reachable by banger-test (group banger), for the tests that connect as that user.
        dir = Files.createTempDirectory("banger-rpc-limits");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        store = Store.open(dir.resolve("banger.db"));
        String stage = "x".repeat(1000);
        MethodTable methods = new MethodTable()
                .add(PING, (p, ctx) -> new Pong(true))
                .add(PULL, (p, ctx) -> {
                    vmLock.lockInterruptibly();
                    try {
                        if (firstPull.getAndSet(false)) {
                            while (true) { // the first pull floods progress until it is cancelled
                                ctx.progress(stage);
                                ctx.checkCancelled();
                                Thread.sleep(1);
                            }
                        }
                        return new Pulled(true);
                    } finally {
                        vmLock.unlock();
                    }
                })
                .add(DOWNLOAD, (p, ctx) -> {
                    try (var out = ctx.client().streams().download(p.token())) {
                        byte[] chunk = new byte[64 * 1024];
                        for (int i = 0; i < 1024; i++) { // 64 MiB: far more than the socket and the queue hold
                            out.write(chunk);
                        }
                    }
                    return new Sent(true);
                })
                .add(UPLOAD, (p, ctx) -> {
                    try (var in = ctx.client().streams().upload(p.token())) {
                        in.readAllBytes();
                        return new Received(true);
                    } catch (IOException e) {
                        throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot receive the upload: " + e.getMessage(), e);
                    }
                })
                .add(BURST_PROGRESS, (p, ctx) -> {
                    long t0 = System.nanoTime();
                    vmLock.lock();
                    try {
                        for (int i = 0; i < BURST; i++) {
                            ctx.progress(stage, i, BURST);
                        }
                    } finally {
                        vmLock.unlock();
                    }
                    burstNanos.set(System.nanoTime() - t0);
                    return new Done(true);
                });
        this.methods = methods;
        socket = dir.resolve("t.sock");
        startServer(IDLE);
    }

    private void startServer(Duration idle) throws IOException {
        startServer(idle, WRITE_DEADLINE);
    }

    private void startServer(Duration idle, Duration writeDeadline) throws IOException {
        startServer(idle, writeDeadline, RpcServer.STREAM_WAIT);
    }

    private void startServer(Duration idle, Duration writeDeadline, Duration streamWait) throws IOException {
        RpcServer.Limits limits = RpcServer.Limits.of(idle, 1024, streamWait)
                .withWriteDeadline(writeDeadline).withPartialLineBytes(PARTIAL_LINE_BYTES);
        server = new RpcServer(socket, methods, new Operations(store, Clock.systemUTC()),
                new PeerPolicy(POSIXFactory.getNativePOSIX(), 0, "banger"), Wire.mapper(), limits);
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void aClientThatDoesNotReadIsClosedAndItsWorkCancelledSoOthersGetThrough() throws Exception {
        try (Raw stalled = new Raw(socket); Raw second = new Raw(socket)) {
            stalled.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.pull\"}\n");
            waitFor(() -> vmLock.isLocked(), Duration.ofSeconds(5));
            long t0 = System.nanoTime();
            second.send("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test.pull\"}\n");
            String answer = second.lineWith("\"result\"", Duration.ofSeconds(10));
            assertThat(answer).contains("\"pulled\":true");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("second pull waited behind the stalled one")
                    .isLessThan(WRITE_DEADLINE.plusSeconds(5));
            OperationInfo first = store.listOperations(10).stream().filter(o -> o.method().equals("test.pull"))
                    .min(java.util.Comparator.comparing(OperationInfo::startedAt)).orElseThrow();
            assertThat(first.state()).isEqualTo(OperationInfo.CANCELLED);
            assertThat(stalled.drainUntilClosed(Duration.ofSeconds(10))).as("stalled client's connection closed").isTrue();
        }
    }

    @Test
    void aDownloadTheClientDoesNotReadFailsAfterTheWriteDeadline() throws Exception {
        String token = "download-token-0123456789";
        try (Raw request = new Raw(socket); Raw stream = new Raw(socket)) {
            long t0 = System.nanoTime();
            request.send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test.download\",\"params\":{\"token\":\"" + token + "\"}}\n");
            stream.send("{\"jsonrpc\":\"2.0\",\"method\":\"stream.open\",\"params\":{\"token\":\"" + token + "\"}}\n");
            String answer = request.lineWith("\"id\":3", Duration.ofSeconds(15)); // the stream is never read
            assertThat(answer).contains("\"error\"").contains("stopped reading its download");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(WRITE_DEADLINE.plusSeconds(8));
            assertThat(stream.drainUntilClosed(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void anUploadThatStallsFailsWithAClearErrorAndItsStreamIsClosed() throws Exception {
        server.close();
        startServer(IDLE, WRITE_DEADLINE, Duration.ofSeconds(2));
        String token = "upload-token-0123456789";
        try (Raw request = new Raw(socket); Raw stream = new Raw(socket)) {
            long t0 = System.nanoTime();
            request.send("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test.upload\",\"params\":{\"token\":\"" + token + "\"}}\n");
            stream.send("{\"jsonrpc\":\"2.0\",\"method\":\"stream.open\",\"params\":{\"token\":\"" + token + "\"}}\n");
            // ... and not one byte more, but the connection stays open
            String answer = request.lineWith("\"id\":4", Duration.ofSeconds(15));
            assertThat(answer).contains("\"error\"").contains("the client's stream stalled: nothing arrived for 2 s");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(stream.drainUntilClosed(Duration.ofSeconds(10))).as("the stalled stream is closed").isTrue();
        }
    }

    @Test
    void aClientThatSendsRequestsButReadsNoAnswersIsSlowedDown() throws Exception {
        server.close();
        startServer(Duration.ofMinutes(1), Duration.ofSeconds(20)); // the pause must show before the deadline closes it
        byte[] pings = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.ping\"}\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            long sent = 0;
            long stuckSince = 0;
            boolean paused = false;
            long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (sent < 64L * 1024 * 1024 && !paused && System.nanoTime() < until) {
                int n = ch.write(ByteBuffer.wrap(pings));
                sent += n;
                if (n > 0) {
                    stuckSince = 0;
                } else if (stuckSince == 0) {
                    stuckSince = System.nanoTime();
                } else {
                    paused = System.nanoTime() - stuckSince > Duration.ofSeconds(2).toNanos();
                    Thread.sleep(5);
                }
            }
            assertThat(paused).as("daemon stopped taking requests (after %d bytes)", sent).isTrue();
            assertThat(sent).as("bytes of requests the daemon took without its answers being read")
                    .isLessThan(16L * 1024 * 1024);
        }
    }

    @Test
    void progressNeverBlocksTheHandlerAndTheAnswerStillArrives() throws Exception {
        try (Raw slow = new Raw(socket)) {
            slow.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test.burst\"}\n");
            waitFor(() -> burstNanos.get() != 0, Duration.ofSeconds(10)); // not reading meanwhile
            assertThat(Duration.ofNanos(burstNanos.get())).isLessThan(Duration.ofSeconds(3));
            List<String> lines = slow.linesUntil("\"result\"", Duration.ofSeconds(10));
            assertThat(lines.getLast()).contains("\"id\":7").contains("\"done\":true");
            assertThat(lines.size() - 1).as("progress events dropped for the slow client").isLessThan(BURST);
        }
    }

    @Test
    void blankLinesDoNotKeepAnIdleConnectionOpen() throws Exception {
        try (Raw c = new Raw(socket)) {
            long t0 = System.nanoTime();
            boolean closed = false;
            while (!closed && System.nanoTime() - t0 < IDLE.multipliedBy(5).toNanos()) {
                closed = !c.trySend("\n");
                closed |= c.drainUntilClosed(Duration.ofMillis(200));
            }
            assertThat(closed).as("closed although it sent a blank line every 200 ms").isTrue();
        }
    }

    @Test
    void theLongestUnfinishedLineIsClosedWhenAllTogetherHoldTooMuch() throws Exception {
        try (Raw a = new Raw(socket); Raw b = new Raw(socket); Raw c = new Raw(socket); Raw d = new Raw(socket)) {
            a.send(partialRequest(1000 * 1024));
            b.send(partialRequest(900 * 1024));
            c.send(partialRequest(900 * 1024));
            Thread.sleep(300);
            d.send(partialRequest(400 * 1024)); // 3.2 MiB in all: over the 3 MiB cap
            String refusal = a.lineWith("unfinished request lines", Duration.ofSeconds(10));
            assertThat(refusal).contains("\"error\"");
            assertThat(a.drainUntilClosed(Duration.ofSeconds(5))).isTrue();
            d.send("\"}}\n"); // the others keep their lines and get answered
            assertThat(d.lineWith("\"result\"", Duration.ofSeconds(10))).contains("\"pong\":true");
        }
        try (Raw e = new Raw(socket)) {
            e.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.ping\"}\n");
            assertThat(e.lineWith("\"result\"", Duration.ofSeconds(5))).contains("\"pong\":true");
        }
    }

    @Test
    void manyConnectionsFromOneMemberDoNotLockRootOut() throws Exception {
        assumeTrue(POSIXFactory.getNativePOSIX().getuid() == 0 && POSIXFactory.getNativePOSIX().getpwnam("banger-test") != null,
                "needs root and user banger-test (scripts/host-setup.sh)");
        server.close();
        startServer(Duration.ofMinutes(1)); // the member's connections stay open while the test looks
        Path out = dir.resolve("member.log");
        String script = """
                use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time);
                my @s;
                for (1..70) { push @s, IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!"; }
                $| = 1; print "connected 70\\n";
                my $sel = IO::Select->new(@s); my $end = time + 3;
                while ((my $left = $end - time) > 0) {
                    my @ready = $sel->can_read($left) or last;
                    for my $r (@ready) { my $l = <$r>; if (defined $l) { print $l } else { $sel->remove($r) } }
                }
                print "read done\\n"; sleep 60;
                """;
        try (BackgroundProcess member = new CommandRunner().start(Command.of("setpriv", "--reuid=banger-test",
                "--regid=banger-test", "--init-groups", "--", "perl", "-e", script, socket.toString()), out)) {
            waitFor(() -> Files.readString(out).contains("read done"), Duration.ofSeconds(15));
            String log = Files.readString(out);
            assertThat(log).contains("connected 70");
            assertThat(log.lines().filter(l -> l.contains("the limit per user")).count()).as(log).isEqualTo(6);
            assertThat(server.connectionCount()).isEqualTo(RpcServer.MAX_CONNECTIONS_PER_UID);
            try (Raw root = new Raw(socket)) {
                root.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.ping\"}\n");
                assertThat(root.lineWith("\"result\"", Duration.ofSeconds(5))).contains("\"pong\":true");
            }
        }
    }

    @Test
    void aRefusedPeerIsToldAtOnceAndClosedHoweverManyBlankLinesItSends() throws Exception {
        assumeTrue(POSIXFactory.getNativePOSIX().getuid() == 0 && POSIXFactory.getNativePOSIX().getpwnam("nobody") != null,
                "needs root and user nobody");
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // a loosened mode
        Path out = dir.resolve("stranger.log");
        // Reads the reason without sending anything, then sends a blank line every 100 ms until closed.
        String script = """
                use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time sleep);
                $SIG{PIPE} = 'IGNORE'; $| = 1;
                my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!";
                my $t0 = time;
                if (IO::Select->new($s)->can_read(5)) { my $l = <$s>; print "told: $l"; }
                while (time - $t0 < 10) {
                    last unless defined $s->syswrite("\\n");
                    if (IO::Select->new($s)->can_read(0.1)) { last if !sysread($s, my $buf, 4096); }
                }
                printf "closed after %d ms\\n", (time - $t0) * 1000;
                """;
        try (BackgroundProcess stranger = new CommandRunner().start(Command.of("setpriv", "--reuid=nobody",
                "--regid=nogroup", "--clear-groups", "--", "perl", "-e", script, socket.toString()), out)) {
            waitFor(() -> Files.readString(out).contains("closed after"), Duration.ofSeconds(15));
            String log = Files.readString(out);
            assertThat(log).contains("told: ").contains("may not use bangerd").contains("\"unauthorized\"");
            long ms = Long.parseLong(log.replaceAll("(?s).*closed after (\\d+) ms.*", "$1"));
            assertThat(ms).as(log).isLessThan(RpcServer.UNAUTHORIZED_LINGER.toMillis() + 2000);
        }
    }

    @Test
    void aSilentRefusedPeerIsClosedAfterTheLingerNotTheIdleTimeout() throws Exception {
        assumeTrue(POSIXFactory.getNativePOSIX().getuid() == 0 && POSIXFactory.getNativePOSIX().getpwnam("nobody") != null,
                "needs root and user nobody");
        server.close();
        startServer(Duration.ofMinutes(1));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // a loosened mode
        Path out = dir.resolve("silent.log");
        // Sends nothing; prints what it is told and when the daemon closes.
        String script = """
                use IO::Socket::UNIX; use IO::Select; use Time::HiRes qw(time);
                $| = 1;
                my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!";
                my $t0 = time;
                while (time - $t0 < 10) {
                    if (IO::Select->new($s)->can_read(0.1)) { last if !sysread($s, my $buf, 4096); print "told: $buf"; }
                }
                printf "closed after %d ms\\n", (time - $t0) * 1000;
                """;
        try (BackgroundProcess stranger = new CommandRunner().start(Command.of("setpriv", "--reuid=nobody",
                "--regid=nogroup", "--clear-groups", "--", "perl", "-e", script, socket.toString()), out)) {
            waitFor(() -> Files.readString(out).contains("closed after"), Duration.ofSeconds(15));
            String log = Files.readString(out);
            assertThat(log).contains("told: ").contains("may not use bangerd");
            long ms = Long.parseLong(log.replaceAll("(?s).*closed after (\\d+) ms.*", "$1"));
            assertThat(ms).as(log).isBetween(RpcServer.UNAUTHORIZED_LINGER.toMillis() - 500, RpcServer.UNAUTHORIZED_LINGER.toMillis() + 2000);
        }
    }

    @Test
    void connectionLimitsKeepAReserveForRootAndCapEachUser() {
        RpcServer.Limits l = RpcServer.Limits.of(IDLE, 1024, RpcServer.STREAM_WAIT);
        assertThat(l.refusal(false, 63, 100)).isNull();
        assertThat(l.refusal(false, 64, 100)).contains("limit per user");
        assertThat(l.refusal(false, 10, 1024 - RpcServer.PRIVILEGED_RESERVE)).contains("other than root");
        assertThat(l.refusal(true, 500, 1023)).isNull();
        assertThat(l.refusal(true, 500, 1024)).contains("its limit");
        assertThat(RpcServer.Limits.of(IDLE, 16, RpcServer.STREAM_WAIT).privilegedReserve()).isEqualTo(4);
    }

    private static String partialRequest(int padding) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.ping\",\"params\":{\"pad\":\"" + "p".repeat(padding);
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check check, Duration limit) throws Exception {
        long until = System.nanoTime() + limit.toNanos();
        while (!check.ok()) {
            assertThat(System.nanoTime()).as("waited %s", limit).isLessThan(until);
            Thread.sleep(20);
        }
    }

    /** A raw client that reads only when asked to. */
    private static final class Raw implements AutoCloseable {
        private final SocketChannel ch;
        private final StringBuilder pending = new StringBuilder();

        Raw(Path socket) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
        }

        void send(String text) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (buf.hasRemaining()) {
                if (ch.write(buf) == 0) {
                    assertThat(System.nanoTime()).as("daemon takes no more bytes").isLessThan(until);
                    sleep(5);
                }
            }
        }

        /** False when the daemon closed the connection. */
        boolean trySend(String text) {
            try {
                send(text);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** Reads lines until one contains {@code marker}; returns all read, that one last. */
        List<String> linesUntil(String marker, Duration limit) throws IOException {
            List<String> lines = new ArrayList<>();
            long until = System.nanoTime() + limit.toNanos();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (System.nanoTime() < until) {
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, nl);
                    pending.delete(0, nl + 1);
                    lines.add(line);
                    if (line.contains(marker)) {
                        return lines;
                    }
                }
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    sleep(5);
                }
                pending.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
            }
            throw new AssertionError("no line with " + marker + " within " + limit + "; read " + lines.size() + " lines");
        }

        String lineWith(String marker, Duration limit) throws IOException {
            return linesUntil(marker, limit).getLast();
        }

        /** Reads and discards until the daemon closes; false if it is still open after {@code limit}. */
        boolean drainUntilClosed(Duration limit) {
            long until = System.nanoTime() + limit.toNanos();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try {
                while (System.nanoTime() < until) {
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) {
                        return true;
                    }
                    if (n == 0) {
                        sleep(5);
                    }
                }
                return false;
            } catch (IOException e) {
                return true; // reset: closed
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
