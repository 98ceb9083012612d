package dev.banger.daemon.rpc;

import dev.banger.core.api.RpcMethod;
import dev.banger.daemon.ops.OperationContext;

/**
 * One RPC method: its name, its {@code contract} (params and result records; shared with the CLI;
 * null only for a test's ad-hoc method) and its handler. {@code tracked} methods change state or take long: they are kept
 * in the operations log and run on their own thread (cancelled when the caller hangs up). The
 * others are quick reads, answered on the connection's reader thread and visible only while they run.
 */
public record Method(String name, boolean tracked, RpcMethod<?, ?> contract, Handler handler) {

    @FunctionalInterface
    public interface Handler {
        /** Returns the result object (serialised with snake_case names), or null. */
        Object handle(Params params, OperationContext ctx) throws Exception;
    }
}
