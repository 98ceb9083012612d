package dev.banger.core.rpc;

/**
 * Wire constants shared by bangerd and banger: JSON-RPC 2.0, one JSON message per line over a
 * Unix socket. A request may carry a top-level {@code "protocol"} member; when present it must
 * equal {@link #VERSION} or the daemon answers {@code bad_version}.
 */
public final class Protocol {

    /** Bumped on any incompatible change to a method's params or result. */
    public static final int VERSION = 1;

    /** Longest request line the daemon reads; longer lines are answered with an error and closed. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    public static final String JSONRPC = "2.0";

    /** Method name of the progress notifications sent before a long operation's response. */
    public static final String PROGRESS = "progress";

    /**
     * The first and only line of a stream connection: a notification with {@code params.token},
     * the token the client put in a request's params. The bytes after the line are
     * {@link StreamFrames}: the client's upload, or the daemon's download for that request.
     */
    public static final String STREAM_OPEN = "stream.open";

    // JSON-RPC 2.0 error codes.
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** JSON-RPC "server error" range; the banger code is in {@code error.data.code}. */
    public static final int SERVER_ERROR = -32000;

    private Protocol() {
    }
}
