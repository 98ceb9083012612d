package dev.banger.core.rpc;

/** RPC method names, shared so the CLI and the daemon's method table cannot drift apart. */
public final class Methods {

    public static final String PING = "ping";
    public static final String VERSION = "version";
    public static final String SHUTDOWN = "shutdown";
    public static final String OPERATIONS_LIST = "daemon.operations.list";

    private Methods() {
    }
}
