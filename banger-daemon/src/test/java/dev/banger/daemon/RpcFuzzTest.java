package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.config.Config;
import dev.banger.core.model.OperationInfo;
import dev.banger.core.rpc.Methods;
import dev.banger.core.rpc.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throws random and hostile frames at a real daemon on a real Unix socket. Nothing a client sends
 * may end in an internal error (-32603: each one is a bug), kill the daemon, or leave memory,
 * operations or host state behind.
 *
 * <p>Frames: {@code -Dbanger.fuzz.frames=N} (default 100,000); the seed is printed and can be
 * replayed with {@code -Dbanger.fuzz.seed=S}.
 *
 * <p>Host state: the daemon runs on a scratch state dir with an empty kernel catalog, and every
 * frame of a method that could create something (vm.create would boot a VM; image.pull would
 * download) carries at least one field that fails validation before anything is touched (a
 * "poison"); the test asserts each such frame was answered with an error. Frames of those methods
 * are never byte-mutated, only truncated (a strict prefix of a JSON object never parses), so the
 * poison cannot be flipped into a valid value.
 */
class RpcFuzzTest {

    private static final int FRAMES = Integer.getInteger("banger.fuzz.frames", 100_000);
    private static final long SEED = Long.getLong("banger.fuzz.seed", System.nanoTime());
    private static final int CONNECTIONS = 4;
    private static final int OVERLONG_LINES = 8;
    private static final int STREAM_OPENS = 32;
    private static final long HEAP_GROWTH_LIMIT = 64L << 20;

    /** The params each method binds (snake_case), so values reach validation instead of failing as unknown keys. */
    private static final Map<String, List<String>> FIELDS = Map.ofEntries(
            Map.entry(Methods.PING, List.of()),
            Map.entry(Methods.VERSION, List.of()),
            Map.entry(Methods.SHUTDOWN, List.of()),
            Map.entry(Methods.OPERATIONS_LIST, List.of("limit")),
            Map.entry(Methods.IMAGE_PULL, List.of("ref", "name", "kernel_ref", "size")),
            Map.entry(Methods.IMAGE_LIST, List.of()),
            Map.entry(Methods.IMAGE_SHOW, List.of("name")),
            Map.entry(Methods.IMAGE_DELETE, List.of("name")),
            Map.entry(Methods.IMAGE_BUNDLE_PULL, List.of("bundle", "sha256", "name")),
            Map.entry(Methods.IMAGE_BUNDLE_MAKE, List.of("rootfs_tar", "name", "kernel_ref", "distro", "out", "size")),
            Map.entry(Methods.IMAGE_REGISTER, List.of("name", "rootfs", "kernel", "initrd", "kernel_ref")),
            Map.entry(Methods.IMAGE_PROMOTE, List.of("name")),
            Map.entry(Methods.IMAGE_CACHE_PRUNE, List.of("dry_run")),
            Map.entry(Methods.KERNEL_IMPORT, List.of("name", "from", "version", "distro", "deb")),
            Map.entry(Methods.KERNEL_LIST, List.of()),
            Map.entry(Methods.KERNEL_SHOW, List.of("name")),
            Map.entry(Methods.KERNEL_DELETE, List.of("name")),
            Map.entry(Methods.KERNEL_CATALOG, List.of()),
            Map.entry(Methods.KERNEL_PULL, List.of("name")),
            Map.entry(Methods.VM_CREATE, List.of("name", "image", "kernel", "vcpu", "memory", "disk_size", "no_start", "nat", "ports")),
            Map.entry(Methods.VM_START, List.of("name")),
            Map.entry(Methods.VM_STOP, List.of("name")),
            Map.entry(Methods.VM_RESTART, List.of("name")),
            Map.entry(Methods.VM_KILL, List.of("name")),
            Map.entry(Methods.VM_PAUSE, List.of("name")),
            Map.entry(Methods.VM_RESUME, List.of("name")),
            Map.entry(Methods.VM_SNAPSHOT_CREATE, List.of("name", "snapshot")),
            Map.entry(Methods.VM_SNAPSHOT_LIST, List.of("name")),
            Map.entry(Methods.VM_SNAPSHOT_DELETE, List.of("name")),
            Map.entry(Methods.VM_RESTORE, List.of("name", "snapshot")),
            Map.entry(Methods.VM_DELETE, List.of("name")),
            Map.entry(Methods.VM_LIST, List.of()),
            Map.entry(Methods.VM_SHOW, List.of("name")),
            Map.entry(Methods.VM_LOGS, List.of("name", "lines")),
            Map.entry(Methods.VM_SET, List.of("name", "vcpu", "memory", "disk_size", "nat")),
            Map.entry(Methods.VM_PRUNE, List.of()),
            Map.entry(Methods.VM_SSH, List.of("name")),
            // The fuzzing daemon has no VM: these fail at the lookup, before any stream is claimed.
            Map.entry(Methods.VM_WORKSPACE_PREPARE, List.of("name", "token", "guest_path", "mode", "head", "branch",
                    "manifest_sha256", "files")),
            Map.entry(Methods.VM_WORKSPACE_MANIFEST, List.of("name")),
            Map.entry(Methods.VM_WORKSPACE_EXPORT, List.of("name", "token")),
            Map.entry(Methods.DOCTOR, List.of()),
            Map.entry(Methods.VM_PORTS, List.of("name")),
            Map.entry(Methods.VM_FORWARD_ADD, List.of("name", "spec")),
            Map.entry(Methods.VM_FORWARD_REMOVE, List.of("name", "spec")),
            Map.entry(Methods.VM_FORWARD_LIST, List.of("name")),
            Map.entry(Methods.SSH_CONFIG, List.of()));

    private static final String BAD_IMAGE_NAME = "\"Not A Name\"";

    /**
     * For each method that could create or fetch something, the fields (name, JSON value) of which
     * any one is refused before any state is touched; one is put into every frame of that method.
     * shutdown and doctor always get a param (they take none), so the daemon neither stops nor
     * spends its time on host checks.
     */
    private static final Map<String, List<String[]>> POISONS = Map.of(
            Methods.IMAGE_PULL, List.of(new String[]{"ref", "\"  \""}, new String[]{"size", "\"0\""},
                    new String[]{"size", "\"99999999999999999999\""}, new String[]{"size", "\"-1G\""},
                    new String[]{"name", BAD_IMAGE_NAME}, new String[]{"name", "\"a/../b\""}),
            Methods.IMAGE_BUNDLE_PULL, List.of(new String[]{"bundle", "\"\""}, new String[]{"sha256", "null"},
                    new String[]{"sha256", "\"xyz\""}, new String[]{"name", BAD_IMAGE_NAME}),
            Methods.IMAGE_BUNDLE_MAKE, List.of(new String[]{"name", BAD_IMAGE_NAME}, new String[]{"kernel_ref", "null"},
                    new String[]{"kernel_ref", "\"../k\""}, new String[]{"rootfs_tar", "\"relative.tar\""},
                    new String[]{"out", "\"/tmp/\\u0000.tar.zst\""}),
            Methods.IMAGE_REGISTER, List.of(new String[]{"name", BAD_IMAGE_NAME}, new String[]{"name", "\"a\\u0000b\""},
                    new String[]{"rootfs", "\"/tmp/\\u0000x\""}, new String[]{"kernel_ref", "\"no-such-kernel\""}),
            Methods.KERNEL_IMPORT, List.of(new String[]{"name", BAD_IMAGE_NAME}, new String[]{"name", "\"..\""},
                    new String[]{"from", "\"/tmp/\\u0000x\""}, new String[]{"deb", "\"/tmp/x\\u0000.deb\""}),
            Methods.VM_CREATE, List.of(new String[]{"name", "\"UPPER case\""}, new String[]{"vcpu", "0"},
                    new String[]{"vcpu", "100000"}, new String[]{"memory", "\"1\""}, new String[]{"memory", "\"99999999999999999999\""},
                    new String[]{"memory", "\"-512\""}, new String[]{"disk_size", "\"1K\""}, new String[]{"disk_size", "\"1e400\""}),
            Methods.SHUTDOWN, List.of(new String[]{"now", "true"}, new String[]{"x", "null"}),
            Methods.DOCTOR, List.of(new String[]{"verbose", "1"}, new String[]{"\u0000", "\"\""}));

    @TempDir
    Path root;

    private final ObjectMapper mapper = new ObjectMapper();
    private final Queue<String> internalErrors = new ConcurrentLinkedQueue<>();
    private final Queue<String> poisonedButAccepted = new ConcurrentLinkedQueue<>();
    private final Map<Long, String> outstanding = new ConcurrentHashMap<>();
    private final Set<Long> mustFail = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextId = new AtomicLong(1_000_000); // above the fixed ids of hand-made frames
    private final AtomicLong answers = new AtomicLong();

    @Test
    void everyMethodInTheTableHasFuzzFields() throws Exception {
        Daemon d = Daemon.open(Config.under(root));
        try {
            assertThat(FIELDS.keySet()).containsExactlyInAnyOrderElementsOf(d.methods().all().keySet());
        } finally {
            d.close();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void hostileFramesGetProperErrorsAndLeaveTheDaemonAsItWas() throws Exception {
        System.out.println("RpcFuzzTest: seed " + SEED + " (replay with -Dbanger.fuzz.seed=" + SEED + "), frames " + FRAMES);
        Path catalog = Files.writeString(root.resolve("empty-catalog.json"), "{\"format\": 1, \"kernels\": []}");
        Daemon daemon = Daemon.open(Config.under(root.resolve("b")).withKernelCatalog(catalog));
        // Tens of thousands of refused operations log a line each at INFO: only warnings and errors here.
        ch.qos.logback.classic.Logger rootLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        Level level = rootLog.getLevel();
        rootLog.setLevel(Level.WARN);
        try {
            daemon.serve();
            List<String> methods = List.copyOf(daemon.methods().all().keySet());
            Random seeds = new Random(SEED);

            fuzz(daemon.socketPath(), methods, seeds.nextLong(), 2_000); // warm-up: classes loaded, caches filled
            awaitAnswers();
            long baseline = usedHeapAfterGc();

            long t0 = System.nanoTime();
            List<Thread> senders = new ArrayList<>();
            Queue<Throwable> senderFailures = new ConcurrentLinkedQueue<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                long seed = seeds.nextLong();
                int frames = FRAMES / CONNECTIONS + (c < FRAMES % CONNECTIONS ? 1 : 0);
                senders.add(Thread.ofPlatform().name("fuzz-" + c).start(() -> {
                    try {
                        fuzz(daemon.socketPath(), methods, seed, frames);
                    } catch (Throwable t) {
                        senderFailures.add(t);
                    }
                }));
            }
            for (int i = 0; i < OVERLONG_LINES; i++) {
                overlongLine(daemon.socketPath(), seeds);
            }
            for (int i = 0; i < STREAM_OPENS; i++) {
                streamOpen(daemon.socketPath(), seeds);
            }
            for (Thread t : senders) {
                t.join();
            }
            awaitAnswers();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long after = usedHeapAfterGc();
            System.out.printf("RpcFuzzTest: %d frames (+%d over-long lines, %d stream connections) in %.1f s, %d answers,"
                            + " %d internal errors, heap %d MiB -> %d MiB%n", FRAMES, OVERLONG_LINES, STREAM_OPENS, seconds,
                    answers.get(), internalErrors.size(),
                    baseline >> 20, after >> 20);

            assertThat(senderFailures).isEmpty();
            assertThat(internalErrors).as("-32603 answers (seed %d)", SEED).isEmpty();
            assertThat(poisonedButAccepted).as("state-changing requests that were not refused (seed %d)", SEED).isEmpty();
            assertThat(outstanding).as("requests never answered").isEmpty();
            assertThat(ping(daemon.socketPath())).as("the daemon still answers").isTrue();
            assertThat(after - baseline).as("heap growth after a GC").isLessThan(HEAP_GROWTH_LIMIT);
            List<OperationInfo> ops = daemon.ops.list(Integer.MAX_VALUE);
            assertThat(ops).noneMatch(o -> o.state().equals(OperationInfo.RUNNING));
            assertThat(daemon.store.listOperations(Integer.MAX_VALUE).size())
                    .as("operations history rows").isLessThanOrEqualTo(dev.banger.daemon.store.Store.OPERATIONS_KEPT);
            assertThat(daemon.vm.list()).isEmpty();
            assertThat(daemon.img.list()).isEmpty();
            assertThat(daemon.img.listKernels()).isEmpty();
        } finally {
            daemon.close();
            rootLog.setLevel(level);
        }
    }

    /** The internal errors the fuzz found, pinned: each is now an error naming the param. */
    @Test
    void aTwentyDigitMemoryAndNulOrLoneSurrogatesInAParamAreBadParams() throws Exception {
        Daemon daemon = Daemon.open(Config.under(root));
        try {
            daemon.serve();
            JsonNode memory = call(daemon.socketPath(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\","
                    + "\"params\":{\"name\":\"a\",\"memory\":\"99999999999999999999\"}}");
            assertThat(memory.at("/error/code").asInt()).isEqualTo(Protocol.SERVER_ERROR);
            assertThat(memory.at("/error/data/code").asText()).isEqualTo("invalid_argument");
            assertThat(memory.at("/error/message").asText()).startsWith("--memory 99999999999999999999 is out of range");

            JsonNode nul = call(daemon.socketPath(), "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"image.register\","
                    + "\"params\":{\"name\":\"x\",\"rootfs\":\"/tmp/a\\u0000b\",\"kernel_ref\":\"k\"}}");
            assertThat(nul.at("/error/code").asInt()).isEqualTo(Protocol.INVALID_PARAMS);
            assertThat(nul.at("/error/message").asText()).startsWith("image.register: param 'rootfs' is not valid text");

            JsonNode surrogate = call(daemon.socketPath(), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"image.register\","
                    + "\"params\":{\"name\":\"x\",\"rootfs\":\"/tmp/\\udfff\\ud800\",\"kernel_ref\":\"k\"}}");
            assertThat(surrogate.at("/error/code").asInt()).isEqualTo(Protocol.INVALID_PARAMS);
            assertThat(surrogate.at("/error/message").asText()).startsWith("image.register: param 'rootfs' is not valid text");
        } finally {
            daemon.close();
        }
    }

    private void awaitAnswers() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!outstanding.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** Sends {@code frames} frames on one connection, reading answers on a second thread. */
    private void fuzz(Path socket, List<String> methods, long seed, int frames) throws Exception {
        Random rnd = new Random(seed);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            Thread reader = Thread.ofPlatform().name("fuzz-reader").start(() -> readAnswers(ch));
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            for (int i = 0; i < frames; i++) {
                batch.write(frame(rnd, methods));
                batch.write('\n');
                if (batch.size() > 64 * 1024 || i == frames - 1) {
                    write(ch, batch.toByteArray());
                    batch.reset();
                }
            }
            long done = nextId.getAndIncrement();
            outstanding.put(done, "ping");
            write(ch, ("{\"jsonrpc\":\"2.0\",\"id\":" + done + ",\"method\":\"ping\"}\n").getBytes(StandardCharsets.UTF_8));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (outstanding.containsKey(done) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // Tracked requests answer from their own threads, possibly after the ping: wait for them too.
            awaitAnswers();
            ch.shutdownOutput();
            reader.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private void readAnswers(SocketChannel ch) {
        try (InputStream in = Channels.newInputStream(ch)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        check(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else {
                        line.write(buf[i]);
                    }
                }
            }
        } catch (IOException e) {
            // The connection ended.
        }
    }

    private void check(String line) throws IOException {
        JsonNode answer = mapper.readTree(line);
        if (answer.has("method")) {
            return; // a progress notification
        }
        answers.incrementAndGet();
        JsonNode id = answer.get("id");
        String frame = null;
        if (id != null && id.isIntegralNumber()) {
            frame = outstanding.remove(id.longValue());
            if (mustFail.remove(id.longValue()) && !answer.has("error")) {
                poisonedButAccepted.add(frame + " -> " + line);
            }
        }
        JsonNode error = answer.get("error");
        if (error != null && error.path("code").asInt() == Protocol.INTERNAL_ERROR) {
            internalErrors.add(abbreviate(frame) + " -> " + abbreviate(line));
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "(frame without an integer id)" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private boolean ping(Path socket) throws IOException {
        return call(socket, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").has("result");
    }

    /** One request on a fresh connection; its answer. */
    private JsonNode call(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            write(ch, (request + "\n").getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            InputStream in = Channels.newInputStream(ch);
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            return mapper.readTree(line.toString(StandardCharsets.UTF_8));
        }
    }

    /** A line over the 1 MiB limit, on its own connection: the daemon answers it, then closes. */
    private void overlongLine(Path socket, Random rnd) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] line = new byte[Protocol.MAX_LINE_BYTES + 1 + rnd.nextInt(64 * 1024)];
            byte[] head = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"vm.show\",\"params\":{\"name\":\"".getBytes(StandardCharsets.UTF_8);
            java.util.Arrays.fill(line, (byte) 'a');
            System.arraycopy(head, 0, line, 0, head.length);
            try {
                write(ch, line);
                write(ch, new byte[]{'\n'});
            } catch (IOException e) {
                // Closed once the limit was passed: the point.
            }
            InputStream in = Channels.newInputStream(ch);
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                answer.write(b);
            }
            check(answer.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * A stream connection ({@code stream.open}) with a token no request claims (valid, malformed, of
     * the wrong type, or none), after an ordinary request or not, then junk where frames would be.
     * The daemon answers stream connections nothing; it must only close them (a valid token after
     * RpcServer.STREAM_WAIT).
     */
    private void streamOpen(Path socket, Random rnd) throws IOException {
        String token = pick(rnd, "\"" + randomToken(rnd) + "\"", "\"short\"", "\"" + "t".repeat(65) + "\"", "\"tok\\u0000en-0123456789\"",
                "12345678901234567890", "{\"a\":1}", "null", "[\"" + randomToken(rnd) + "\"]");
        String params = pick(rnd, "{\"token\":" + token + "}", "[" + token + "]", "null", "\"" + randomToken(rnd) + "\"", "{}");
        String open = "{\"jsonrpc\":\"2.0\",\"method\":\"" + Protocol.STREAM_OPEN + "\",\"params\":" + params + "}\n";
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (rnd.nextBoolean()) {
                long id = nextId.getAndIncrement();
                outstanding.put(id, "ping before a stream.open");
                out.writeBytes(("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}\n").getBytes(StandardCharsets.UTF_8));
            }
            out.writeBytes(open.getBytes(StandardCharsets.UTF_8));
            out.writeBytes(randomBytes(rnd));
            try {
                write(ch, out.toByteArray());
            } catch (IOException e) {
                // closed by the daemon already: fine
            }
            Thread reader = Thread.ofPlatform().start(() -> readAnswers(ch));
            try {
                reader.join(200); // the ping's answer, if any; the stream itself is answered nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String randomToken(Random rnd) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        StringBuilder sb = new StringBuilder();
        for (int i = 16 + rnd.nextInt(49); i > 0; i--) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    // ---- frames ----

    private byte[] frame(Random rnd, List<String> methods) {
        int kind = rnd.nextInt(100);
        if (kind < 8) {
            return randomBytes(rnd);
        }
        if (kind < 16) {
            byte[] whole = request(rnd, methods, false).getBytes(StandardCharsets.UTF_8);
            return java.util.Arrays.copyOf(whole, rnd.nextInt(whole.length)); // strictly shorter: never a whole object
        }
        if (kind < 24) {
            return brokenEnvelope(rnd, methods).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 25) {
            return deepNesting(rnd, methods).getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 28) {
            return invalidUtf8Request(rnd, methods);
        }
        return request(rnd, methods, true).getBytes(StandardCharsets.UTF_8);
    }

    /** A request with an integer id (tracked for its answer), hostile params and, where needed, a poison. */
    private String request(Random rnd, List<String> methods, boolean track) {
        String method = methods.get(rnd.nextInt(methods.size()));
        long id = nextId.getAndIncrement();
        String params = params(rnd, method);
        String frame = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
        if (track) {
            outstanding.put(id, abbreviate(frame));
            if (POISONS.containsKey(method)) {
                mustFail.add(id);
            }
        }
        return frame;
    }

    private String params(Random rnd, String method) {
        List<String[]> poisons = POISONS.get(method);
        int shape = rnd.nextInt(20);
        if (poisons == null && shape == 0) {
            return pick(rnd, "null", "[]", "[1,2]", "{}", "\"name\"", "1e400", "[{\"name\":\"x\"}]");
        }
        List<String> fields = FIELDS.get(method);
        StringBuilder sb = new StringBuilder("{");
        Set<String> used = new java.util.HashSet<>();
        if (poisons != null) {
            String[] p = poisons.get(rnd.nextInt(poisons.size()));
            sb.append(mapperString(p[0])).append(':').append(p[1]);
            used.add(p[0]);
        }
        int count = fields.isEmpty() ? (rnd.nextInt(4) == 0 ? 1 : 0) : rnd.nextInt(fields.size() + 1);
        for (int i = 0; i < count; i++) {
            String field = fields.isEmpty() || rnd.nextInt(12) == 0 ? pick(rnd, "unknown", "NAME", "", "\u0000", "__proto__")
                    : fields.get(rnd.nextInt(fields.size()));
            if (!used.add(field)) {
                continue; // a duplicate key could override the poison
            }
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(mapperString(field)).append(':').append(value(rnd));
        }
        return sb.append('}').toString();
    }

    private String value(Random rnd) {
        return switch (rnd.nextInt(34)) {
            case 0 -> "null";
            case 1 -> pick(rnd, "true", "false");
            case 2 -> pick(rnd, "0", "-1", "1", "32", "33", "2147483647", "2147483648", "-2147483649", "9223372036854775807");
            case 3 -> pick(rnd, "99999999999999999999", "-99999999999999999999", "123456789012345678901234567890");
            case 4 -> pick(rnd, "1e400", "-1e400", "1.5", "-0.0", "1e-400", "4e9", "0.999999999999999999999");
            case 5 -> pick(rnd, "\"99999999999999999999\"", "\"-99999999999999999999\"", "\"99999999999999999999G\"");
            case 6 -> pick(rnd, "\"1e400\"", "\"NaN\"", "\"Infinity\"", "\"-1\"", "\"0\"", "\"-0\"", "\"0x10\"", "\"1.5G\"");
            case 7 -> pick(rnd, "\"512\"", "\"4G\"", "\"9T\"", "\"8E\"", "\"999999999999999T\"", "\"64M\"", "\"2T\"", "\"3T\"");
            case 8 -> pick(rnd, "\"a\\u0000b\"", "\"\\u0000\"", "\"/tmp/\\u0000x\"", "\"/\\u0000\"", "\"fuzz\\u0000\"");
            case 9 -> pick(rnd, "\"../../../../etc/shadow\"", "\"/etc/shadow\"", "\"/\"", "\".\"", "\"..\"", "\"/dev/zero\"",
                    "\"/proc/self/mem\"", "\"/dev/shm\"", "\"relative/path\"", "\"~root\"", "\"/root/\"");
            case 10 -> pick(rnd, "\"%\"", "\"_\"", "\"%%\"", "\"a%\"", "\"*\"", "\"'\"", "\"'; DROP TABLE vms; --\"", "\"\\\\\"");
            case 11 -> pick(rnd, "\"\"", "\" \"", "\"\\t\\n\"", "\"\\r\"");
            case 12 -> pick(rnd, "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\uffff\"", "\"\\u202e\"", "\"\u00e9\u6f22\"");
            case 13 -> pick(rnd, "[]", "[1]", "[\"a\",null]", "[[[]]]");
            case 14 -> pick(rnd, "{}", "{\"name\":\"x\"}", "{\"\":{}}", "{\"a\":[1,{\"b\":null}]}");
            case 15 -> rnd.nextInt(50) == 0 ? "\"" + "x".repeat(200_000) + "\"" : "\"" + "y".repeat(rnd.nextInt(5000)) + "\"";
            case 16 -> nested(rnd, 1 + rnd.nextInt(200));
            case 17 -> pick(rnd, "\"docker.io/library/alpine:latest\"", "\"http://127.0.0.1:1/x\"", "\"file:///etc/passwd\"",
                    "\"https://[::1\"", "\"localhost:99999/a\"", "\"a@sha256:zz\"", "\"UPPER/Case\"", "\"a:b:c:d\"");
            case 18 -> pick(rnd, "\"debian-bookworm\"", "\"debian-cloud\"", "\"default\"", "\"images\"", "\"vm-1\"");
            case 19 -> pick(rnd, "\"" + "a".repeat(63) + "\"", "\"" + "a".repeat(64) + "\"", "\"-a\"", "\"a-\"", "\"a.b\"");
            case 20 -> pick(rnd, "\"0000000000000000000000000000000000000000000000000000000000000000\"",
                    "\"sha256:" + "f".repeat(64) + "\"", "\"" + "g".repeat(64) + "\"");
            case 21 -> "\"" + randomPrintable(rnd, 1 + rnd.nextInt(40)) + "\"";
            case 22 -> Long.toString(rnd.nextLong());
            case 23 -> Integer.toString(rnd.nextInt(200) - 100);
            case 24 -> Double.toString(rnd.nextDouble() * 1e300);
            case 25 -> "\"" + rnd.nextInt(100000) + pick(rnd, "", "K", "M", "G", "T", "k", "g", " G", "GB", "GiB") + "\"";
            case 26 -> pick(rnd, "\"/tmp\"", "\"/tmp/banger-fuzz-does-not-exist\"", "\"/proc/1/root\"", "\"/sys\"");
            case 27 -> pick(rnd, "\"\\u0000\\u0000\\u0000\"", "\"/etc/../etc/shadow\"", "\"/tmp/a\\nb\"");
            case 28 -> pick(rnd, "1e308", "1.7976931348623157e309", "-9223372036854775809", "4294967296");
            case 29 -> pick(rnd, "true", "[true]", "{\"dry_run\":true}");
            case 30 -> pick(rnd, "\"ubuntu\"", "\"debian\"", "\"\\\"quoted\\\"\"", "\"$(id)\"", "\"`id`\"", "\"-rf\"");
            case 31 -> pick(rnd, "\"a\\u0000b.tar\"", "\"/tmp/x.tar\\u0000.zst\"");
            case 32 -> "{\"k\":" + nested(rnd, 10) + "}";
            default -> "\"" + "\\u0000".repeat(1 + rnd.nextInt(10)) + "\"";
        };
    }

    private static String nested(Random rnd, int depth) {
        boolean arrays = rnd.nextBoolean();
        return (arrays ? "[" : "{\"a\":").repeat(depth) + "1" + (arrays ? "]" : "}").repeat(depth);
    }

    private String brokenEnvelope(Random rnd, List<String> methods) {
        String method = methods.get(rnd.nextInt(methods.size()));
        return switch (rnd.nextInt(16)) {
            case 0 -> "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"" + method + "\"}";
            case 1 -> "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"" + method + "\"}";
            case 2 -> "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"" + method + "\"}";
            case 3 -> "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"" + method + "\"}";
            case 4 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":42}";
            case 5 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":\"x\"}";
            case 6 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":17}";
            case 7 -> "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]";
            case 8 -> pick(rnd, "42", "\"str\"", "null", "true", "[]", "{}");
            case 9 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"protocol\":" + pick(rnd, "99", "\"1\"", "1e400", "-1") + "}";
            case 10 -> "{\"jsonrpc\":\"2.0\",\"id\":99999999999999999999999,\"method\":\"ping\"}";
            case 11 -> "{\"jsonrpc\":\"2.0\",\"method\":\"" + method.toUpperCase() + "\",\"id\":1}";
            case 12 -> "{\"jsonrpc\":\"2.0\",\"id\":\"" + "i".repeat(rnd.nextInt(10000)) + "\",\"method\":\"nope\\u0000\"}";
            case 13 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\",\"method\":\"version\"}";
            case 14 -> "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":[" + value(rnd) + "]}";
            default -> "{\"jsonrpc\":null,\"id\":null,\"method\":null,\"params\":null}";
        };
    }

    /** 10,000 nested arrays (or objects), as the whole line or as params. */
    private String deepNesting(Random rnd, List<String> methods) {
        String deep = nested(rnd, 10_000);
        if (rnd.nextBoolean()) {
            return deep;
        }
        String method = methods.get(rnd.nextInt(methods.size()));
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{\"name\":" + deep + "}}";
    }

    /** A request whose string value holds bytes that are not UTF-8 (a lone continuation byte, an overlong form). */
    private byte[] invalidUtf8Request(Random rnd, List<String> methods) {
        String method = methods.get(rnd.nextInt(methods.size()));
        if (POISONS.containsKey(method)) {
            method = Methods.VM_SHOW;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{\"name\":\"").getBytes(StandardCharsets.UTF_8));
        byte[][] bad = {{(byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xff, (byte) 0xfe}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xe2, (byte) 0x82}};
        out.writeBytes(bad[rnd.nextInt(bad.length)]);
        out.writeBytes("\"}}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(300)];
        rnd.nextBytes(b);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                b[i] = ' ';
            }
        }
        return b;
    }

    private static String randomPrintable(Random rnd, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            char c = (char) (0x20 + rnd.nextInt(0x5f));
            sb.append(c == '"' || c == '\\' ? '_' : c);
        }
        return sb.toString();
    }

    private String mapperString(String s) {
        try {
            return mapper.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pick(Random rnd, String... options) {
        return options[rnd.nextInt(options.length)];
    }
}
