package dev.banger.daemon.ops;

import dev.banger.core.model.OperationInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.store.Store;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request is an operation with an op id. All of them are visible while they run; tracked
 * ones (state-changing methods) are also written to the store, so {@code daemon.operations.list}
 * shows their history across daemon restarts.
 */
public final class Operations {

    private static final Logger log = LoggerFactory.getLogger(Operations.class);

    private final Store store;
    private final Clock clock;
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();

    private record InFlight(OperationContext context, OperationInfo info) {
    }

    public Operations(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * A fresh, grep-friendly op id: 12 hex digits. An id names a request in logs and errors; it
     * grants nothing, so it needs no SecureRandom (whose /dev/urandom read showed in profiles).
     */
    public static String newOpId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(4);
    }

    /** An operation the daemon runs for itself, or a test runs in-process: no socket peer, no streams. */
    public OperationContext begin(String opId, String method, String peer, boolean tracked,
                                  OperationContext.ProgressSink sink) {
        return begin(opId, method, Client.inProcess(), peer, tracked, sink);
    }

    public OperationContext begin(String opId, String method, Client client, boolean tracked,
                                  OperationContext.ProgressSink sink) {
        return begin(opId, method, client, client.describe(), tracked, sink);
    }

    private OperationContext begin(String opId, String method, Client client, String peer, boolean tracked,
                                   OperationContext.ProgressSink sink) {
        OperationContext ctx = new OperationContext(opId, method, client, tracked, sink);
        OperationInfo info = new OperationInfo(opId, method, OperationInfo.RUNNING, peer, clock.instant(), null, null);
        inFlight.put(opId, new InFlight(ctx, info));
        if (tracked) {
            try {
                store.insertOperation(info);
            } catch (RuntimeException e) {
                inFlight.remove(opId); // refused: it must not show as running forever
                throw e;
            }
            log.info("{} started by {}", method, peer);
        }
        return ctx;
    }

    /** Records how the operation ended; {@code error} is null on success. */
    public void end(OperationContext ctx, Throwable error) {
        InFlight f = inFlight.remove(ctx.opId());
        if (f == null || !ctx.tracked()) {
            return;
        }
        String state = error == null ? OperationInfo.SUCCEEDED
                : ctx.isCancelled() || (error instanceof BangerException be && be.code() == ErrorCode.CANCELLED)
                ? OperationInfo.CANCELLED : OperationInfo.FAILED;
        store.finishOperation(f.info().finish(state, clock.instant(), error == null ? null : error.getMessage()));
        log.info("{} {}", ctx.method(), state);
    }

    /** Running operations first, then the stored history, newest first. */
    public List<OperationInfo> list(int limit) {
        Map<String, OperationInfo> out = new LinkedHashMap<>();
        inFlight.values().stream()
                .map(InFlight::info)
                .sorted((a, b) -> b.startedAt().compareTo(a.startedAt()))
                .forEach(i -> out.put(i.id(), i));
        for (OperationInfo i : store.listOperations(limit)) {
            out.putIfAbsent(i.id(), i);
        }
        return new ArrayList<>(out.values()).subList(0, Math.min(limit, out.size()));
    }

    /** Cancels everything still running (daemon shutdown). */
    public void cancelAll() {
        inFlight.values().forEach(f -> f.context().cancel());
    }
}
