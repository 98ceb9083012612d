package dev.banger.daemon.rpc;

import dev.banger.daemon.ops.OperationContext;

/**
 * One RPC method. {@code tracked} methods change state and are kept in the operations log;
 * the others (reads, ping) are only visible while they run.
 */
public record Method(String name, boolean tracked, Handler handler) {

    @FunctionalInterface
    public interface Handler {
        /** Returns the result object (serialised with snake_case names), or null. */
        Object handle(Params params, OperationContext ctx) throws Exception;
    }
}
