package dev.banger.core.api;

/**
 * One RPC method as both sides know it: its name, its params and result records, and whether the
 * daemon tracks it (runs it on its own thread and keeps it in the operations log: it changes
 * state or takes long). The daemon registers its handlers by these; the CLI calls through them.
 *
 * @param <P> the params record ({@link NoParams} when it takes none)
 * @param <R> the result record
 */
public record RpcMethod<P, R>(String name, boolean tracked, Shape<P> params, Shape<R> result) {

    public static <P, R> RpcMethod<P, R> tracked(String name, Shape<P> params, Shape<R> result) {
        return new RpcMethod<>(name, true, params, result);
    }

    public static <P, R> RpcMethod<P, R> untracked(String name, Shape<P> params, Shape<R> result) {
        return new RpcMethod<>(name, false, params, result);
    }

    public boolean takesParams() {
        return !params.fields().isEmpty();
    }
}
