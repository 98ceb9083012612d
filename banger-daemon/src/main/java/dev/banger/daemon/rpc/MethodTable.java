package dev.banger.daemon.rpc;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.RpcMethod;
import dev.banger.daemon.ops.OperationContext;
import java.util.Collections;
import java.util.Map;
import java.util.SequencedMap;
import java.util.LinkedHashMap;

/** The daemon's RPC surface: name to method. docs/rpc.md lists the same names and records (a test checks). */
public final class MethodTable {

    /** A handler of one method's params record, returning its result record. */
    @FunctionalInterface
    public interface Handler<P, R> {
        R handle(P params, OperationContext ctx) throws Exception;
    }

    private final SequencedMap<String, Method> methods = new LinkedHashMap<>();

    /** Registers {@code handler} for {@code method}: params are bound to its params record (none: any given is refused). */
    public <P, R> MethodTable add(RpcMethod<P, R> method, Handler<P, R> handler) {
        Method.Handler bound = (params, ctx) -> handler.handle(bind(method, params), ctx);
        return put(new Method(method.name(), method.tracked(), method, bound));
    }

    /** A method without a contract, reading its params itself: a test server's ad-hoc method (the daemon's all have one). */
    public MethodTable add(String name, boolean tracked, Method.Handler handler) {
        return put(new Method(name, tracked, null, handler));
    }

    private MethodTable put(Method m) {
        if (methods.putIfAbsent(m.name(), m) != null) {
            throw new IllegalArgumentException("method " + m.name() + " registered twice");
        }
        return this;
    }

    @SuppressWarnings("unchecked")
    private static <P> P bind(RpcMethod<P, ?> method, Params params) {
        if (!method.takesParams()) {
            params.expectNone();
            return (P) NoParams.NONE;
        }
        return params.as(method.params().type());
    }

    public Method get(String name) {
        return methods.get(name);
    }

    public Map<String, Method> all() {
        return Collections.unmodifiableMap(methods);
    }
}
