package dev.banger.daemon.ops;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a handler knows about the request it serves: its op id, a way to stream progress to the
 * caller, and cancellation (the caller hung up). Long steps call {@link #checkCancelled()}
 * between stages; tools started through the command runner die with the interrupt.
 */
public final class OperationContext {

    /** Receives progress events for the caller; the RPC connection turns them into notifications. */
    @FunctionalInterface
    public interface ProgressSink {
        void send(Map<String, Object> event);

        ProgressSink NONE = event -> { };
    }

    private final String opId;
    private final String method;
    private final Client client;
    private final boolean tracked;
    private final ProgressSink sink;
    private final List<Runnable> afterResponse = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;
    private volatile Thread worker;

    OperationContext(String opId, String method, Client client, boolean tracked, ProgressSink sink) {
        this.opId = opId;
        this.method = method;
        this.client = client;
        this.tracked = tracked;
        this.sink = sink;
    }

    /** Work bangerd does for itself (a warm-start template build): no caller, no progress, no client to hang up. */
    public static OperationContext background(String method) {
        return new OperationContext(Operations.newOpId(), method, Client.inProcess(), false, ProgressSink.NONE);
    }

    public String opId() {
        return opId;
    }

    public String method() {
        return method;
    }

    /** Who asked, and the byte streams that came with the request. */
    public Client client() {
        return client;
    }

    boolean tracked() {
        return tracked;
    }

    /** Reports a named stage; {@code total} is 0 when unknown. */
    public void progress(String stage, long done, long total) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("op_id", opId);
        event.put("stage", stage);
        event.put("done", done);
        event.put("total", total);
        sink.send(event);
    }

    public void progress(String stage) {
        progress(stage, 0, 0);
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void checkCancelled() {
        if (cancelled) {
            throw new BangerException(ErrorCode.CANCELLED, method + " cancelled: the client disconnected");
        }
    }

    /** Binds the context to the thread running the handler, so cancel can interrupt it. */
    public void attach(Thread thread) {
        this.worker = thread;
    }

    /** Marks the operation cancelled and interrupts its handler (which kills its child processes). */
    public void cancel() {
        cancelled = true;
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Work to run once the response has been written, e.g. stopping the daemon after {@code shutdown}. */
    public void afterResponse(Runnable action) {
        afterResponse.add(action);
    }

    public List<Runnable> afterResponseActions() {
        return List.copyOf(afterResponse);
    }
}
