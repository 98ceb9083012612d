package dev.banger.daemon.rpc;

import java.util.Collections;
import java.util.Map;
import java.util.SequencedMap;
import java.util.LinkedHashMap;

/** The daemon's RPC surface: name to method. docs/rpc.md lists the same names (a test checks). */
public final class MethodTable {

    private final SequencedMap<String, Method> methods = new LinkedHashMap<>();

    public MethodTable add(String name, boolean tracked, Method.Handler handler) {
        if (methods.putIfAbsent(name, new Method(name, tracked, handler)) != null) {
            throw new IllegalArgumentException("method " + name + " registered twice");
        }
        return this;
    }

    public Method get(String name) {
        return methods.get(name);
    }

    public Map<String, Method> all() {
        return Collections.unmodifiableMap(methods);
    }
}
