// RpcThroughput: pings per second against bangerd, and against a bare JDK Unix-socket server
// answering the same JSON in the same run, so that the ratio shows bangerd's own overhead.
//
//   java -cp "$(cat build/lib/cli.classpath)" bench/RpcThroughput.java SOCKET [SECONDS] [CONNECTIONS]
//
// The daemon first gets 3 s of unreported warm-up. Each measurement: a warm-up second, then SECONDS (default 5) of back-to-back requests, one in
// flight per connection, line-delimited JSON over the JDK's SocketChannel. Everything is bounded
// in time and the program exits by itself. Run by bench/rpc-throughput.sh.

import dev.banger.cli.client.RpcClient;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

public class RpcThroughput {

    static final byte[] REQUEST = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"protocol\":1}\n"
            .getBytes(StandardCharsets.UTF_8);
    static final double TARGET_ONE_CONNECTION = 20_000;
    static final long WARMUP_MS = 1000;

    /** One blocking connection that sends a request and reads one answer line, again and again. */
    static final class Conn implements AutoCloseable {
        final SocketChannel ch;
        final ByteBuffer out = ByteBuffer.wrap(REQUEST);
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

        Conn(Path socket) throws IOException {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        }

        /** One round trip; returns the answer line's length (and leaves the bytes in {@code in}). */
        int roundTrip() throws IOException {
            out.rewind();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            in.clear();
            while (true) {
                if (ch.read(in) < 0) {
                    throw new IOException("server closed the connection");
                }
                int end = in.position();
                if (end > 0 && in.get(end - 1) == '\n') {
                    return end;
                }
                if (!in.hasRemaining()) {
                    throw new IOException("answer longer than " + in.capacity() + " bytes");
                }
            }
        }

        String lastAnswer(int len) {
            return new String(in.array(), 0, len - 1, StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    interface Loop {
        /** Runs requests until {@code stop}; adds each completed one to {@code count} while {@code counting}. */
        void run(Flags f, LongAdder count) throws Exception;
    }

    static final class Flags {
        volatile boolean counting;
        volatile boolean stop;
    }

    /** Runs {@code conns} copies of a loop: warm-up, then {@code seconds} counted; returns requests/s. */
    static double measure(int conns, double seconds, Loop loop) throws Exception {
        Flags f = new Flags();
        LongAdder count = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < conns; i++) {
            threads.add(Thread.ofPlatform().name("client-" + i).start(() -> {
                try {
                    loop.run(f, count);
                } catch (Throwable t) {
                    failures.add(t);
                    f.stop = true;
                }
            }));
        }
        Thread.sleep(WARMUP_MS);
        long t0 = System.nanoTime();
        f.counting = true;
        Thread.sleep((long) (seconds * 1000));
        f.counting = false;
        long t1 = System.nanoTime();
        long n = count.sum();
        f.stop = true;
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a client failed: " + failures.get(0), failures.get(0));
        }
        return n / ((t1 - t0) / 1e9);
    }

    /** The raw line client: one Conn per thread. */
    static Loop raw(Path socket) {
        return (f, count) -> {
            try (Conn c = new Conn(socket)) {
                while (!f.stop) {
                    int len = c.roundTrip();
                    if (c.in.get(0) != '{' || len < 20) {
                        throw new IOException("not a JSON answer: " + c.lastAnswer(len));
                    }
                    if (f.counting) {
                        count.increment();
                    }
                }
            }
        };
    }

    /** banger's own client class (Jackson streaming encode/decode of every message). */
    static Loop rpcClient(Path socket) {
        return (f, count) -> {
            try (RpcClient c = RpcClient.connect(socket)) {
                while (!f.stop) {
                    c.call("ping", null);
                    if (f.counting) {
                        count.increment();
                    }
                }
            }
        };
    }

    /** A bare JDK Unix-socket server: answers every request line with a fixed answer line. */
    static final class BaselineServer implements AutoCloseable {
        final Path dir;
        final Path socket;
        final ServerSocketChannel server;
        final byte[] answer;
        final List<SocketChannel> clients = java.util.Collections.synchronizedList(new ArrayList<>());

        BaselineServer(String answerLine) throws IOException {
            answer = (answerLine + "\n").getBytes(StandardCharsets.UTF_8);
            dir = Files.createTempDirectory("rpc-baseline");
            socket = dir.resolve("echo.sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread.ofPlatform().daemon().name("baseline-accept").start(this::acceptLoop);
        }

        void acceptLoop() {
            try {
                while (true) {
                    SocketChannel ch = server.accept();
                    clients.add(ch);
                    Thread.ofPlatform().daemon().name("baseline-conn").start(() -> serve(ch));
                }
            } catch (IOException closed) {
                // The server was closed: done.
            }
        }

        void serve(SocketChannel ch) {
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            try (ch) {
                while (ch.read(in) >= 0) {
                    in.flip();
                    int lines = 0;
                    while (in.hasRemaining()) {
                        if (in.get() == '\n') {
                            lines++;
                        }
                    }
                    in.clear();
                    for (int i = 0; i < lines; i++) {
                        ByteBuffer out = ByteBuffer.wrap(answer);
                        while (out.hasRemaining()) {
                            ch.write(out);
                        }
                    }
                }
            } catch (IOException gone) {
                // Client gone.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (clients) {
                for (SocketChannel c : clients) {
                    c.close();
                }
            }
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    static String fmt(double perSecond) {
        return String.format(Locale.ROOT, "%,10.0f /s", perSecond);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: RpcThroughput SOCKET [SECONDS] [CONNECTIONS]");
            System.exit(2);
        }
        Path socket = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        int conns = args.length > 2 ? Integer.parseInt(args[2]) : 16;

        String answer;
        try (Conn c = new Conn(socket)) {
            answer = c.lastAnswer(c.roundTrip());
        }
        if (!answer.contains("\"result\"")) {
            throw new IllegalStateException("bangerd did not answer ping with a result: " + answer);
        }
        System.out.printf(Locale.ROOT, "rpc-throughput: %d cores, %.0f s per measurement after %d ms warm-up (bangerd: 3 s more first); answer line %d bytes%n",
                Runtime.getRuntime().availableProcessors(), seconds, WARMUP_MS, answer.length() + 1);

        // Each bangerd figure is measured right beside its baseline, so that a machine that gets
        // busier or quieter during the run moves both. The daemon's JIT is warmed up first.
        double bangerd1;
        double bangerdN;
        double base1;
        double baseN;
        try (BaselineServer base = new BaselineServer(answer)) {
            measure(conns, 2, raw(socket));
            bangerd1 = measure(1, seconds, raw(socket));
            System.out.println("  bangerd,  1 connection           : " + fmt(bangerd1));
            base1 = measure(1, seconds, raw(base.socket));
            System.out.println("  baseline, 1 connection           : " + fmt(base1) + "   (bare JDK socket server, same answer)");
            bangerdN = measure(conns, seconds, raw(socket));
            System.out.println("  bangerd," + String.format(Locale.ROOT, "%2d", conns) + " connections          : " + fmt(bangerdN));
            baseN = measure(conns, seconds, raw(base.socket));
            System.out.println("  baseline," + String.format(Locale.ROOT, "%2d", conns) + " connections          : " + fmt(baseN));
        }
        double client1 = measure(1, seconds, rpcClient(socket));
        System.out.println("  bangerd,  1 connection, RpcClient: " + fmt(client1) + "   (banger's client class, Jackson on both ends)");
        System.out.printf(Locale.ROOT, "  ratio bangerd/baseline: %.2f on 1 connection, %.2f on %d connections%n",
                bangerd1 / base1, bangerdN / baseN, conns);
        System.out.printf(Locale.ROOT, "  target (>= %,.0f pings/s on one connection): %s%n", TARGET_ONE_CONNECTION,
                bangerd1 >= TARGET_ONE_CONNECTION ? "MET" : "NOT MET");
    }
}
