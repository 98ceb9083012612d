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
import dev.banger.daemon.ops.Client;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
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
 * down: every failure becomes an error response for that request.
 */
final class RpcConnection {

    private static final Logger log = LoggerFactory.getLogger(RpcConnection.class);

    private final UnixSocketChannel channel;
    private final MethodTable methods;
    private final Operations operations;
    private final PeerPolicy policy;
    private final ObjectMapper mapper;
    /** One JSON document per line: anything after it is an invalid request, never silently dropped. */
    private final ObjectReader requestReader;
    private final StreamRendezvous streams;
    private final Consumer<RpcConnection> onClose;
    private final Object writeLock = new Object();
    private final Map<String, OperationContext> running = new ConcurrentHashMap<>();
    private volatile long lastActivity = System.nanoTime();
    /** True while a request line is being parsed and recorded: not idle, though not yet in {@code running}. */
    private volatile boolean dispatching;
    /** A stream connection moving bytes: busy for as long as the stream lasts. */
    private volatile boolean streaming;
    private PeerCredentials peer;
    private String denyReason;
    private LineReader reader;

    RpcConnection(UnixSocketChannel channel, MethodTable methods, Operations operations, PeerPolicy policy,
                  ObjectMapper mapper, StreamRendezvous streams, Consumer<RpcConnection> onClose) {
        this.channel = channel;
        this.methods = methods;
        this.operations = operations;
        this.policy = policy;
        this.mapper = mapper;
        this.streams = streams;
        this.onClose = onClose;
        this.requestReader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    void serve() {
        try {
            Credentials c = channel.getOption(UnixSocketOptions.SO_PEERCRED);
            peer = new PeerCredentials(c.getPid(), c.getUid(), c.getGid());
            denyReason = policy.denyReason(peer);
            // Plain channel reads and writes: Channels.newInputStream/newOutputStream on a selectable
            // channel hold its blockingLock for the whole read, so a pending read would block every write.
            reader = new LineReader(channel);
            String line;
            boolean open = true;
            while (open && (line = reader.next()) != null) {
                lastActivity = System.nanoTime();
                dispatching = true;
                try {
                    open = line.isBlank() || handle(line);
                } finally {
                    lastActivity = System.nanoTime();
                    dispatching = false;
                }
            }
            if (open) {
                answerHalfClosedPeer();
            }
        } catch (LineReader.LineTooLongException e) {
            sendError(null, Operations.newOpId(), Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST,
                    "request line longer than " + Protocol.MAX_LINE_BYTES + " bytes; closing the connection");
        } catch (IOException e) {
            log.debug("connection ended: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("connection failed", e);
        } finally {
            cancelAndClose();
        }
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
            return denyReason == null;
        } catch (JacksonException e) {
            sendError(null, opId, Protocol.PARSE_ERROR, ErrorCode.BAD_REQUEST, "invalid JSON: " + e.getOriginalMessage());
            return denyReason == null;
        }
        JsonNode id = req.isObject() ? req.get("id") : null;
        if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
            sendError(null, opId, Protocol.INVALID_REQUEST, ErrorCode.BAD_REQUEST, "id must be a string or an integer");
            return denyReason == null;
        }
        if (denyReason != null) {
            log.warn("refused {}: {}", peer.describe(), denyReason);
            sendError(id, opId, Protocol.SERVER_ERROR, ErrorCode.UNAUTHORIZED, denyReason);
            return false;
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
            streams.serve(token.textValue(), peer, channel, reader.drainBuffered());
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
                send(response(id, "result", result));
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

    private Map<String, Object> response(JsonNode id, String kind, Object body) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", Protocol.JSONRPC);
        m.put("id", id);
        m.put(kind, body);
        return m;
    }

    private void sendError(JsonNode id, String opId, int jsonRpcCode, ErrorCode code, String message) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("code", code.wire());
        data.put("op_id", opId);
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", jsonRpcCode);
        error.put("message", message);
        error.put("data", data);
        send(response(id, "error", error));
    }

    private void sendProgress(JsonNode id, Map<String, Object> event) {
        Map<String, Object> params = new LinkedHashMap<>(event);
        params.put("id", id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jsonrpc", Protocol.JSONRPC);
        m.put("method", Protocol.PROGRESS);
        m.put("params", params);
        send(m);
    }

    private void send(Object message) {
        try {
            byte[] json = mapper.writeValueAsBytes(message);
            ByteBuffer buf = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
            synchronized (writeLock) {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
        } catch (IOException e) {
            log.debug("cannot answer, client gone: {}", e.getMessage());
        }
    }

    /** Answers a connection the server will not serve, then closes it. */
    void refuse(String reason) {
        sendError(null, Operations.newOpId(), Protocol.SERVER_ERROR, ErrorCode.OPERATION_FAILED, reason);
        closeChannel();
    }

    long idleNanos(long now) {
        return running.isEmpty() && !dispatching && !streaming ? now - lastActivity : 0;
    }

    /** Ends the read loop (a native read is not woken by close, but is by shutdown). */
    void hangUp() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            closeChannel();
        }
    }

    void cancelAndClose() {
        running.values().forEach(ctx -> {
            log.info("client hung up: cancelling {} (op {})", ctx.method(), ctx.opId());
            ctx.cancel();
        });
        hangUp();
        closeChannel();
        onClose.accept(this);
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already gone.
        }
    }

    /** Reads newline-terminated lines of at most {@link Protocol#MAX_LINE_BYTES}. */
    static final class LineReader {
        static final class LineTooLongException extends IOException {
            LineTooLongException() {
                super("line too long");
            }
        }

        private final ReadableByteChannel in;
        // Small on purpose: jnr's read allocates a fresh heap buffer the size of what is asked for,
        // so a 64 KiB read costs a 64 KiB allocation per request line.
        private final byte[] buf = new byte[4 * 1024];
        private final ByteBuffer wrapped = ByteBuffer.wrap(buf);
        private int pos;
        private int limit;

        LineReader(ReadableByteChannel in) {
            this.in = in;
        }

        /** What was read past the last line returned (a stream's first bytes), no longer buffered here. */
        byte[] drainBuffered() {
            byte[] rest = java.util.Arrays.copyOfRange(buf, pos, limit);
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
