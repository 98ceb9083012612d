package dev.banger.daemon.rpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import jnr.unixsocket.UnixSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's outgoing messages: senders only queue (they never block, so a handler holding a
 * VM lock cannot be held up by a client that does not read), and the connection's own platform
 * writer thread (jnr writes are native calls, which would pin a virtual thread's carrier) drains
 * the queue. Progress is dropped while more than {@link #PROGRESS_LIMIT_BYTES} wait; answers are
 * always queued. The server closes a connection whose writer has made no headway for its write
 * deadline ({@link #stalledNanos}).
 */
final class Outbox {

    private static final Logger log = LoggerFactory.getLogger(Outbox.class);

    /** Queued bytes beyond which progress events are dropped (the kernel's socket buffer holds more still). */
    static final int PROGRESS_LIMIT_BYTES = 64 * 1024;
    /** Queued bytes beyond which the connection reads no further requests until its client reads answers. */
    static final int READ_PAUSE_BYTES = 1024 * 1024;
    /** Written at most this much per write call, so a big answer to a slow reader shows headway. */
    private static final int WRITE_SLICE = 64 * 1024;

    private final UnixSocketChannel channel;
    private final Runnable onDrainedAndClosed;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long droppedProgress;
    private boolean finishing;
    /** The writer holds a line it took from the queue and has not finished writing. */
    private boolean writing;
    private final WriteWatch watch = new WriteWatch();

    Outbox(UnixSocketChannel channel, Runnable onDrainedAndClosed) {
        this.channel = channel;
        this.onDrainedAndClosed = onDrainedAndClosed;
    }

    void start(String name) {
        Thread.ofPlatform().name(name).daemon().start(this::drain);
    }

    /** Queues an answer: never dropped, never blocks. */
    synchronized void answer(byte[] line) {
        enqueue(line);
    }

    /** Queues a progress event unless too much waits already; never blocks. */
    synchronized void progress(byte[] line) {
        if (queuedBytes + line.length > PROGRESS_LIMIT_BYTES) {
            if (droppedProgress++ == 0) {
                log.debug("client reads slowly: dropping progress events");
            }
            return;
        }
        enqueue(line);
    }

    private void enqueue(byte[] line) {
        if (finishing) {
            return; // the connection is closing: nobody will read this
        }
        queue.add(line);
        queuedBytes += line.length;
        notifyAll();
    }

    /** Writes what is queued, then closes the connection. */
    synchronized void finish() {
        finishing = true;
        notifyAll();
    }

    /**
     * Waits while more than {@link #READ_PAUSE_BYTES} wait to be written: a client that sends
     * requests but reads no answers is slowed down instead of filling the heap. Bounded by the
     * write deadline, after which the server closes the connection.
     */
    synchronized void awaitRoom() throws InterruptedException {
        while (queuedBytes > READ_PAUSE_BYTES && !finishing) {
            wait();
        }
    }

    /**
     * Waits until every queued line is written (or the writer gave up): a connection that turns
     * into a stream must not have an answer written into its bytes. Bounded by the write deadline,
     * after which the server closes a connection whose writer is stuck.
     */
    synchronized void awaitDrained() throws InterruptedException {
        while ((writing || !queue.isEmpty()) && !finishing) {
            wait();
        }
    }

    /** How long the writer has been stuck on the client's socket, 0 when it has nothing to write. */
    long stalledNanos(long now) {
        return watch.stalledNanos(now);
    }

    private synchronized byte[] take() throws InterruptedException {
        writing = false;
        notifyAll();
        while (queue.isEmpty()) {
            watch.idle();
            if (finishing) {
                return null;
            }
            wait();
        }
        byte[] line = queue.poll();
        queuedBytes -= line.length;
        writing = true;
        watch.headway();
        return line;
    }

    private void drain() {
        try {
            byte[] line;
            while ((line = take()) != null) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) {
                    buf.limit(Math.min(line.length, buf.position() + WRITE_SLICE));
                    channel.write(buf);
                    buf.limit(line.length);
                    watch.headway();
                }
            }
        } catch (IOException e) {
            log.debug("cannot answer, client gone: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                finishing = true;
                notifyAll();
                queue.clear();
                watch.idle();
                if (droppedProgress > 0) {
                    log.debug("dropped {} progress events for a slow client", droppedProgress);
                }
            }
            onDrainedAndClosed.run();
        }
    }
}
