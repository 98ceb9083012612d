package dev.banger.daemon.rpc;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.banger.core.BuildInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Protocol;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.ops.Client;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One client connection: reads request lines, answers each (or closes), runs handlers on virtual
 * threads, and cancels them when the client hangs up. Nothing a client sends can take the daemon
 * down: every failure becomes an error response for that request. Answers and progress go through
 * the connection's {@link Outbox}, so nothing that sends ever waits for the client to read.
 */
final class RpcConnection {

    private static final Logger log = LoggerFactory.getLogger(RpcConnection.class);

    private final UnixSocketChannel channel;
    private final ChannelCloser closer;
    private final MethodTable methods;
    private final Operations operations;
    private final ObjectMapper mapper;
    /** One JSON document per line: anything after it is an invalid request, never silently dropped. */
    private final ObjectReader requestReader;
    private final StreamRendezvous streams;
    private final PartialLineBudget lineBudget;
    private final Consumer<RpcConnection> onClose;
    private final Outbox outbox;
    /** A download this connection carries (when it is a stream connection). */
    private final WriteWatch streamWatch = new WriteWatch();
    private final Map<String, OperationContext> running = new ConcurrentHashMap<>();
    private final long openedAt = System.nanoTime();
    private volatile long lastActivity = openedAt;
    /** True while a request line is being parsed and recorded: not idle, though not yet in {@code running}. */
    private volatile boolean dispatching;
    /** A stream connection moving bytes: busy for as long as the stream lasts. */
    private volatile boolean streaming;
    /** Set when the partial-line budget picked this connection to close. */
    private volatile boolean shed;
    private final PeerCredentials peer;
    private final String denyReason;
    private LineReader reader;

    RpcConnection(UnixSocketChannel channel, PeerCredentials peer, String denyReason, MethodTable methods,
                  Operations operations, ObjectMapper mapper, StreamRendezvous streams, PartialLineBudget lineBudget,
                  Consumer<RpcConnection> onClose) {
        this.channel = channel;
        this.closer = new ChannelCloser(channel);
        this.peer = peer;
        this.denyReason = denyReason;
        this.methods = methods;
        this.operations = operations;
        this.mapper = mapper;
        this.streams = streams;
        this.lineBudget = lineBudget;
        this.onClose = onClose;
        this.requestReader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.outbox = new Outbox(channel, this::closed);
    }

    /** Peer credentials of an accepted socket, from the kernel. */
    static PeerCredentials peerOf(UnixSocketChannel channel) throws IOException {
        Credentials c = channel.getOption(UnixSocketOptions.SO_PEERCRED);
        return new PeerCredentials(c.getPid(), c.getUid(), c.getGid());
    }

    PeerCredentials peer() {
        return peer;
    }

    /** Starts this connection's reader and writer threads. */
    void start(String name) {
        outbox.start(name + "-write");
        Thread.ofPlatform().name(name).daemon().start(this::serve);
    }

    private void serve() {
        try {
            // Plain channel reads and writes: Channels.newInputStream/newOutputStream on a selectable
            // channel hold its blockingLock for the whole read, so a pending read would block every write.
            reader = new LineReader(channel, bytes -> {
                RpcConnection victim = lineBudget.hold(this, bytes);
                if (victim == this) {
                    throw new PartialLinesOverBudgetException();
                }
                if (victim != null) {
                    victim.shed();
                }
            });
            if (denyReason != null) {
                refuseUnauthorized();
                return;
            }
            String line;
            boolean open = true;
            while (open && (line = reader.next()) != null) {
                if (line.isBlank()) {
                    continue; // no request: neither activity that keeps the connection open nor a reply
                }
                lastActivity = System.nanoTime();
                dispatching = true;
                try {
                    outbox.awaitRoom();
                    open = handle(line);
                } finally {
                    lastActivity = System.nanoTime();
                    dispatching = false;
                }
            }
            if (shed) {
                throw new PartialLinesOverBudgetException();
            }
            if (open) {
                answerHalfClosedPeer();
            }
        } catch (LineReader.LineTooLongException e) {
            sendError(null, Operations.newOpId(), Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST,
                    "request line longer than " + Protocol.MAX_LINE_BYTES + " bytes; closing the connection");
        } catch (PartialLinesOverBudgetException e) {
            log.warn("{} sent the longest unfinished request line while bangerd held more than {} bytes of them; closing it",
                    peer.describe(), lineBudget.limit());
            sendError(null, Operations.newOpId(), Protocol.SERVER_ERROR, ErrorCode.OPERATION_FAILED,
                    "bangerd holds more than " + lineBudget.limit() / (1024 * 1024) + " MiB of unfinished request lines;"
                            + " closing the connection with the longest (send whole lines)");
        } catch (IOException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        } finally {
            lineBudget.hold(this, 0);
            cancelRunning("client hung up");
            outbox.finish();
        }
    }

    /**
     * A peer the policy refuses: told at once, and closed once it has sent its first line (so its
     * request is written before the close, and it reads the reason rather than a broken pipe) or
     * after {@link RpcServer#UNAUTHORIZED_LINGER}, whichever comes first.
     */
    private void refuseUnauthorized() throws IOException {
        log.warn("refused {}: {}", peer.describe(), denyReason);
        sendError(null, Operations.newOpId(), Protocol.SERVER_ERROR, ErrorCode.UNAUTHORIZED, denyReason);
        reader.next();
    }

    /** True when this refused peer has had its time to send its first line. */
    boolean unauthorizedLingerOver(long now) {
        return denyReason != null && now - openedAt > RpcServer.UNAUTHORIZED_LINGER.toNanos();
    }

    /** Handles one request line; false means close the connection. */
    private boolean handle(String line) {
        String opId = Operations.newOpId();
        MDC.put("op_id", opId);
        try {
            return handle(line, opId);
        } finally {
            MDC.remove("op_id");
        }
    }

    private boolean handle(String line, String opId) {
        JsonNode req;
        try {
            req = requestReader.readTree(line);
        } catch (MismatchedInputException e) {
            sendError(null, opId, Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST,
                    "one JSON request per line: found more after the first (" + e.getOriginalMessage() + ")");
            return true;
        } catch (JacksonException e) {
            sendError(null, opId, Protocol.PARSE_ERROR, ErrorCode.BAD_REQUEST, "invalid JSON: " + e.getOriginalMessage());
            return true;
        }
        JsonNode id = req.isObject() ? req.get("id") : null;
        if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
            sendError(null, opId, Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST, "id must be a string or an integer");
            return true;
        }
        String problem = envelopeProblem(req);
        if (problem != null) {
            sendError(id, opId, Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST, problem);
            return true;
        }
        JsonNode protocol = req.get("protocol");
        if (protocol != null && !(protocol.isInt() && protocol.intValue() == Protocol.VERSION)) {
            sendError(id, opId, Protocol.SERVER_ERROR, ErrorCode.BAD_VERSION, "client speaks protocol " + protocol
                    + " but bangerd " + BuildInfo.current().version() + " speaks protocol " + Protocol.VERSION
                    + "; use banger and bangerd from the same release");
            return true;
        }
        String name = req.get("method").textValue();
        if (Protocol.STREAM_OPEN.equals(name)) {
            serveStream(req.get("params"));
            return false;
        }
        Method method = methods.get(name);
        if (method == null) {
            sendError(id, opId, Protocol.METHOD_NOT_FOUND, ErrorCode.NOT_FOUND, "unknown method '" + name + "'");
            return true;
        }
        OperationContext ctx;
        StreamRendezvous.RequestStreams requestStreams = streams.forRequest(peer);
        try {
            ctx = operations.begin(opId, name, new Client(peer.pid(), peer.uid(), peer.gid(), requestStreams), method.tracked(),
                    id == null ? OperationContext.ProgressSink.NONE : event -> sendProgress(id, event));
        } catch (RuntimeException e) {
            log.error("cannot record operation {}", opId, e);
            sendError(id, opId, Protocol.SERVER_ERROR, ErrorCode.OPERATION_FAILED, "cannot record the operation: " + e.getMessage());
            return true;
        }
        running.put(opId, ctx);
        Params params = new Params(name, req.get("params"), mapper);
        if (method.tracked()) {
            // Slow or state-changing: its own thread, so this reader notices a hang-up and cancels it.
            Thread.ofVirtual().name("op-" + opId).start(() -> execute(method, params, id, ctx, requestStreams));
        } else {
            execute(method, params, id, ctx, requestStreams); // a quick read: answering here saves two thread hand-offs
        }
        return true;
    }

    /**
     * This connection carries the bytes of another request's stream: hand it over and move them
     * until the stream ends. It answers nothing (the request's own connection gets the answer).
     */
    private void serveStream(JsonNode params) {
        JsonNode token = params == null ? null : params.get("token");
        if (token == null || !StreamRendezvous.validToken(token.textValue())) {
            log.info("{} opened a stream without a valid token; closing it", peer.describe());
            return;
        }
        streaming = true;
        try {
            outbox.awaitDrained(); // answers to this connection's earlier requests go out before the stream's bytes
            streams.serve(token.textValue(), peer, channel, closer, reader.drainBuffered(), streamWatch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * EOF on read: the client either hung up (cancel its work) or only closed its writing side
     * and still reads (`echo ... | socat`): answer what is in flight, then close.
     */
    private void answerHalfClosedPeer() throws InterruptedException {
        while (!running.isEmpty()) {
            if (PeerHangup.peerClosed(channel.getFD())) {
                return; // the finally block cancels what is still running
            }
            Thread.sleep(20);
        }
    }

    private static String envelopeProblem(JsonNode req) {
        if (req.isArray()) {
            return "batch requests are not supported; send one request per line";
        }
        if (!req.isObject()) {
            return "a request must be a JSON object";
        }
        JsonNode version = req.get("jsonrpc");
        if (version == null || !Protocol.JSONRPC.equals(version.textValue())) {
            return "jsonrpc must be \"2.0\"";
        }
        JsonNode method = req.get("method");
        if (method == null || !method.isTextual()) {
            return "method must be a string";
        }
        JsonNode params = req.get("params");
        if (params != null && !(params.isObject() || params.isArray() || params.isNull())) {
            return "params must be an object";
        }
        return null;
    }

    private void execute(Method method, Params params, JsonNode id, OperationContext ctx,
                         StreamRendezvous.RequestStreams requestStreams) {
        ctx.attach(Thread.currentThread());
        MDC.put("op_id", ctx.opId());
        try {
            Object result = null;
            Throwable failure = null;
            try {
                log.debug("{} from {}", method.name(), peer.describe());
                result = method.handler().handle(params, ctx);
                ctx.checkCancelled();
            } catch (Throwable t) {
                failure = t;
            }
            // Recorded before the answer goes out: a client that hangs up once it has its answer
            // cancels nothing (it used to turn a failed operation into a "cancelled" one).
            operations.end(ctx, failure);
            if (failure != null) {
                respondToFailure(id, ctx, failure);
            } else if (id != null) {
                outbox.answer(encode(response(id, "result", result)));
            }
        } finally {
            requestStreams.finish();
            running.remove(ctx.opId());
            MDC.remove("op_id");
            Thread.interrupted(); // a late cancel must not leak into the after-response actions
            ctx.afterResponseActions().forEach(Runnable::run);
        }
    }

    private void respondToFailure(JsonNode id, OperationContext ctx, Throwable t) {
        String opId = ctx.opId();
        switch (t) {
            case InvalidParamsException e -> sendError(id, opId, Protocol.INVALID_PARAMS, e.code(), e.getMessage());
            case BangerException e -> {
                log.info("{} failed: {}", ctx.method(), e.getMessage());
                sendError(id, opId, Protocol.SERVER_ERROR, e.code(), e.getMessage());
            }
            case NoSpaceException e -> {
                log.warn("{} failed: {}", ctx.method(), e.getMessage());
                sendError(id, opId, Protocol.SERVER_ERROR, ErrorCode.NO_SPACE, e.getMessage());
            }
            case CommandFailedException e -> {
                log.warn("{} failed: {}", ctx.method(), e.getMessage());
                sendError(id, opId, Protocol.SERVER_ERROR,
                        ctx.isCancelled() ? ErrorCode.CANCELLED : ErrorCode.OPERATION_FAILED, e.getMessage());
            }
            default -> {
                log.error("{} failed unexpectedly", ctx.method(), t);
                sendError(id, opId, Protocol.INTERNAL_ERROR, ErrorCode.OPERATION_FAILED,
                        "internal error in " + ctx.method() + ": " + t + " (details in the daemon log under op " + opId + ")");
            }
        }
    }

    private static Map<String, Object> response(JsonNode id, String kind, Object body) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", Protocol.JSONRPC);
        m.put("id", id);
        m.put(kind, body);
        return m;
    }

    private void sendError(JsonNode id, String opId, int jsonRpcCode, ErrorCode code, String message) {
        outbox.answer(encode(errorResponse(id, opId, jsonRpcCode, code, message)));
    }

    private static Map<String, Object> errorResponse(JsonNode id, String opId, int jsonRpcCode, ErrorCode code, String message) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("code", code.wire());
        data.put("op_id", opId);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", jsonRpcCode);
        error.put("message", message);
        error.put("data", data);
        return response(id, "error", error);
    }

    private void sendProgress(JsonNode id, Map<String, Object> event) {
        Map<String, Object> params = new LinkedHashMap<>(event);
        params.put("id", id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", Protocol.JSONRPC);
        m.put("method", Protocol.PROGRESS);
        m.put("params", params);
        outbox.progress(encode(m));
    }

    /** One message as a line. */
    private byte[] encode(Object message) {
        try {
            byte[] json = mapper.writeValueAsBytes(message);
            byte[] line = Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            return line;
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot encode an answer as JSON", e);
        }
    }

    /**
     * Answers a socket the server will not serve, then closes it: written on the accepting thread,
     * as one short line fits the kernel's socket buffer and so cannot block.
     */
    static void refuse(UnixSocketChannel channel, ObjectMapper mapper, String reason) {
        Map<String, Object> m = errorResponse(null, Operations.newOpId(), Protocol.SERVER_ERROR, ErrorCode.OPERATION_FAILED, reason);
        try (channel) {
            channel.write(ByteBuffer.wrap((mapper.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            log.debug("cannot tell a refused client why: {}", e.getMessage());
        }
    }

    long idleNanos(long now) {
        return running.isEmpty() && !dispatching && !streaming ? now - lastActivity : 0;
    }

    /** How long this connection's writer has been stuck on a client that does not read. */
    long writeStalledNanos(long now) {
        return Math.max(outbox.stalledNanos(now), streamWatch.stalledNanos(now));
    }

    /** Chosen by the partial-line budget: stop reading; the reader then says why and closes. */
    private void shed() {
        shed = true;
        hangUp();
    }

    /** Ends the read loop (a native read is not woken by close, but is by shutdown). */
    void hangUp() {
        closer.shutdownInput();
    }

    /** Cancels what runs and stops reading; answers already queued are still written, then the connection closes. */
    void cancelAndFinish(String why) {
        cancelRunning(why);
        hangUp();
        outbox.finish();
    }

    /** Cancels what runs and closes now, without waiting for queued answers (a client that does not read). */
    void cancelAndClose(String why) {
        cancelAndFinish(why);
        closer.shutdownOutput(); // wakes a writer blocked on a full socket
    }

    private void cancelRunning(String why) {
        running.values().forEach(ctx -> {
            log.info("{}: cancelling {} (op {})", why, ctx.method(), ctx.opId());
            ctx.cancel();
        });
    }

    /** The writer is done: whatever still runs has no one to answer. */
    private void closed() {
        cancelRunning("client gone");
        hangUp();
        closeChannel();
        onClose.accept(this);
    }

    private void closeChannel() {
        closer.close();
    }

    private static final class PartialLinesOverBudgetException extends IOException {
        PartialLinesOverBudgetException() {
            super("partial lines over budget");
        }
    }

    /** Reads newline-terminated lines of at most {@link Protocol#MAX_LINE_BYTES}. */
    static final class LineReader {
        static final class LineTooLongException extends IOException {
            LineTooLongException() {
                super("line too long");
            }
        }

        /** Told how many bytes of an unfinished line are held, and may refuse to hold more. */
        interface Budget {
            void holding(long bytes) throws IOException;
        }

        private final ReadableByteChannel in;
        private final Budget budget;
        // Small on purpose: jnr's read allocates a fresh heap buffer the size of what is asked for,
        // so a 64 KiB read costs a 64 KiB allocation per request line.
        private final byte[] buf = new byte[4 * 1024];
        private final ByteBuffer wrapped = ByteBuffer.wrap(buf);
        private int pos;
        private int limit;

        LineReader(ReadableByteChannel in, Budget budget) {
            this.in = in;
            this.budget = budget;
        }

        /** What was read past the last line returned (a stream's first bytes), no longer buffered here. */
        byte[] drainBuffered() {
            byte[] rest = Arrays.copyOfRange(buf, pos, limit);
            pos = limit;
            return rest;
        }

        /** The next line without its newline, or null at end of stream. */
        String next() throws IOException {
            ByteArrayOutputStream acc = null;
            while (true) {
                for (int i = pos; i < limit; i++) {
                    if (buf[i] == '\n') {
                        if ((acc == null ? 0 : acc.size()) + (i - pos) > Protocol.MAX_LINE_BYTES) {
                            throw new LineTooLongException();
                        }
                        String line;
                        if (acc == null) {
                            line = new String(buf, pos, i - pos, StandardCharsets.UTF_8);
                        } else {
                            acc.write(buf, pos, i - pos);
                            line = acc.toString(StandardCharsets.UTF_8);
                        }
                        pos = i + 1;
                        if (acc != null) {
                            budget.holding(0);
                        }
                        return line;
                    }
                }
                if (acc == null) {
                    acc = new ByteArrayOutputStream();
                }
                acc.write(buf, pos, limit - pos);
                if (acc.size() > Protocol.MAX_LINE_BYTES) {
                    throw new LineTooLongException();
                }
                if (acc.size() > 0) {
                    budget.holding(acc.size());
                }
                pos = 0;
                wrapped.clear();
                limit = in.read(wrapped);
                if (limit <= 0) {
                    limit = 0;
                    return null; // a partial last line without newline is dropped: the client hung up mid-request
                }
            }
        }
    }
}
