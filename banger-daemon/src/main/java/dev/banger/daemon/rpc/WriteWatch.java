package dev.banger.daemon.rpc;

/**
 * How long a writer to a client's socket has gone without headway: the server closes a connection
 * whose client has taken no byte for its write deadline, however the bytes are written (answers
 * and progress by the {@link Outbox}, a download by its stream pump).
 */
final class WriteWatch {

    /** nanoTime of the last headway while there were bytes to write; 0 while there are none. */
    private volatile long since;

    /** Bytes are waiting to be written, or some were just written. */
    void headway() {
        since = System.nanoTime();
    }

    /** Nothing waits to be written. */
    void idle() {
        since = 0;
    }

    long stalledNanos(long now) {
        long s = since;
        return s == 0 ? 0 : now - s;
    }
}
