package dev.banger.daemon.rpc;

import java.util.HashMap;
import java.util.Map;

/**
 * Caps the bytes all connections together hold in request lines not yet ended by a newline (each
 * line is capped at {@link dev.banger.core.rpc.Protocol#MAX_LINE_BYTES} on its own; without this a
 * few hundred slow senders would fill the heap). Over the cap, the connection holding the longest
 * partial line is the one to close.
 */
final class PartialLineBudget {

    /** The default cap: 64 partial lines of the maximum size. */
    static final long DEFAULT_LIMIT_BYTES = 64L * 1024 * 1024;

    private final long limit;
    private final Map<RpcConnection, Long> partial = new HashMap<>();
    private long total;

    PartialLineBudget(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /**
     * Records that {@code owner} now holds {@code bytes} of a partial line (0 once it ended or the
     * connection closed). Returns the connection to close when the total is over the cap, else null.
     */
    synchronized RpcConnection hold(RpcConnection owner, long bytes) {
        Long before = bytes == 0 ? partial.remove(owner) : partial.put(owner, bytes);
        total += bytes - (before == null ? 0 : before);
        if (total <= limit) {
            return null;
        }
        RpcConnection biggest = owner;
        for (Map.Entry<RpcConnection, Long> e : partial.entrySet()) {
            if (e.getValue() > partial.getOrDefault(biggest, 0L)) {
                biggest = e.getKey();
            }
        }
        total -= partial.remove(biggest); // its reader is about to be stopped: its bytes are as good as freed
        return biggest;
    }
}
