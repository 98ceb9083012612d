package dev.banger.daemon.rpc;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Protocol;
import dev.banger.core.rpc.StreamFrames;
import dev.banger.daemon.ops.Client;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import jnr.unixsocket.UnixSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pairs the stream connections clients open ({@code stream.open TOKEN}) with the handlers that ask
 * for them ({@link Client.Streams#upload}/{@link Client.Streams#download} of that token). Either
 * side may come first and waits a while ({@link RpcServer#STREAM_WAIT}) for the other; the token must come from the
 * same uid as the request. The stream connection's own platform thread moves the bytes (jnr reads
 * are native calls, which would pin a virtual thread's carrier) through a small bounded queue, so
 * a handler on a virtual thread only parks, and a slow side slows the other instead of buffering.
 * A download's writes report to the connection's {@link WriteWatch}, so a client that stops reading
 * it is closed after the write deadline (the handler's next write then fails); an upload whose
 * client sends nothing for that same wait is closed and fails the handler's read.
 */
final class StreamRendezvous {

    private static final Logger log = LoggerFactory.getLogger(StreamRendezvous.class);

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{16,64}");
    private static final int CHUNK = 64 * 1024;
    /** Bounds the bytes in flight per stream: 16 chunks of 64 KiB. */
    private static final int QUEUE_CHUNKS = 16;

    private final Duration wait;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    StreamRendezvous(Duration wait) {
        this.wait = wait;
    }

    static boolean validToken(String token) {
        return token != null && TOKEN.matcher(token).matches();
    }

    /** One token's meeting point: the connection arrives with its uid, the handler claims it with a pump. */
    private static final class Slot {
        final CompletableFuture<Integer> arrived = new CompletableFuture<>();
        final CompletableFuture<Pump> claimed = new CompletableFuture<>();
    }

    /**
     * On the stream connection's thread: waits for a handler to claim {@code token}, then moves the
     * bytes until the stream ends. {@code buffered} is what the line reader read past the open line.
     */
    void serve(String token, PeerCredentials peer, UnixSocketChannel channel, ChannelCloser closer, byte[] buffered, WriteWatch watch)
            throws InterruptedException {
        Slot slot = slots.computeIfAbsent(token, t -> new Slot());
        if (!slot.arrived.complete(peer.uid())) {
            log.warn("stream token opened twice by {}; closing the second", peer.describe());
            return;
        }
        Pump pump;
        try {
            pump = slot.claimed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            slots.remove(token, slot);
            log.info("no request claimed the stream {} opened within {} s; closing it", peer.describe(), wait.toSeconds());
            return;
        }
        slots.remove(token, slot);
        pump.run(channel, closer, buffered, watch);
    }

    /** The streams of one request from {@code peer}; {@link RequestStreams#finish} ends what its handler left open. */
    RequestStreams forRequest(PeerCredentials peer) {
        return new RequestStreams(peer.uid());
    }

    final class RequestStreams implements Client.Streams {
        private final int uid;
        private final List<Pump> pumps = new CopyOnWriteArrayList<>();

        private RequestStreams(int uid) {
            this.uid = uid;
        }

        @Override
        public InputStream upload(String token) {
            Upload up = new Upload(wait);
            claim(token, up);
            return up.handlerSide();
        }

        @Override
        public OutputStream download(String token) {
            Download down = new Download();
            claim(token, down);
            return down.handlerSide();
        }

        private void claim(String token, Pump pump) {
            if (!validToken(token)) {
                throw new BangerException(ErrorCode.BAD_REQUEST, "stream token must be 16 to 64 letters, digits, '-' or '_'");
            }
            Slot slot = slots.computeIfAbsent(token, t -> new Slot());
            int from;
            try {
                from = slot.arrived.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                slots.remove(token, slot);
                throw new BangerException(ErrorCode.BAD_REQUEST, "the client did not open the stream it announced ("
                        + Protocol.STREAM_OPEN + " " + token + ") within " + wait.toSeconds() + " s");
            } catch (InterruptedException e) {
                slots.remove(token, slot);
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "cancelled while waiting for the client's stream");
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
            if (from != uid) {
                slot.claimed.cancel(false);
                throw new BangerException(ErrorCode.UNAUTHORIZED, "the stream " + token + " was opened by another user");
            }
            if (!slot.claimed.complete(pump)) {
                throw new BangerException(ErrorCode.BAD_REQUEST, "stream " + token + " is already in use");
            }
            pumps.add(pump);
        }

        /** After the handler returned: a stream it did not end cleanly is cut (the client sees it truncated). */
        void finish() {
            pumps.forEach(Pump::abandon);
        }
    }

    /** Moves one stream's bytes between the socket (connection thread) and the handler (a queue). */
    private abstract static class Pump {
        static final byte[] END = new byte[0];
        static final byte[] ABORT = new byte[0];

        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
        volatile boolean abandoned;
        volatile ChannelCloser closer;
        volatile IOException failure;

        abstract void move(UnixSocketChannel ch, byte[] buffered, WriteWatch watch) throws IOException, InterruptedException;

        final void run(UnixSocketChannel ch, ChannelCloser closer, byte[] buffered, WriteWatch watch) throws InterruptedException {
            this.closer = closer;
            try {
                if (!abandoned) {
                    move(ch, buffered, watch);
                }
            } catch (IOException e) {
                failure = e;
                log.debug("stream ended: {}", e.getMessage());
            } finally {
                closeChannel();
            }
        }

        /** Puts a chunk unless the other side gave up or the socket failed (then false). */
        final boolean put(byte[] chunk) throws InterruptedException {
            while (!queue.offer(chunk, 200, TimeUnit.MILLISECONDS)) {
                if (abandoned || failure != null) {
                    return false;
                }
            }
            return true;
        }

        void abandon() {
            abandoned = true;
            queue.offer(ABORT);
            closeChannel();
        }

        final void closeChannel() {
            ChannelCloser c = closer;
            if (c != null) {
                c.shutdownInput(); // wakes the connection's thread if it is blocked reading
                c.close();
            }
        }
    }

    /** Client -> handler. A client that sends nothing for {@code stall} fails the read and is closed. */
    private static final class Upload extends Pump {
        private final Duration stall;

        Upload(Duration stall) {
            this.stall = stall;
        }

        @Override
        void move(UnixSocketChannel ch, byte[] buffered, WriteWatch watch) throws IOException, InterruptedException {
            InputStream raw = new SequenceInputStream(new ByteArrayInputStream(buffered), new ChannelInput(ch));
            StreamFrames.Reader frames = new StreamFrames.Reader(raw);
            byte[] buf = new byte[CHUNK];
            try {
                int n;
                while ((n = frames.read(buf, 0, buf.length)) >= 0) {
                    if (!put(Arrays.copyOf(buf, n))) {
                        return;
                    }
                }
                put(END);
            } catch (IOException e) {
                failure = e;
                put(ABORT);
                throw e;
            }
        }

        InputStream handlerSide() {
            return new InputStream() {
                private byte[] chunk = new byte[0];
                private int pos;
                private boolean done;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    while (pos == chunk.length) {
                        if (done) {
                            return -1;
                        }
                        byte[] next;
                        try {
                            next = queue.poll(stall.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("cancelled while reading the client's stream");
                        }
                        if (next == null) {
                            abandon();
                            throw new IOException("the client's stream stalled: nothing arrived for " + stall.toSeconds()
                                    + " s, so bangerd closed it");
                        }
                        if (next == END) {
                            done = true;
                            return -1;
                        }
                        if (next == ABORT) {
                            IOException f = failure;
                            throw new IOException("the client's stream broke off: "
                                    + (f == null ? "closed" : f.getMessage()), f);
                        }
                        chunk = next;
                        pos = 0;
                    }
                    int n = Math.min(len, chunk.length - pos);
                    System.arraycopy(chunk, pos, b, off, n);
                    pos += n;
                    return n;
                }

                @Override
                public void close() {
                    if (!done) {
                        abandon();
                    }
                }
            };
        }
    }

    /** Handler -> client. */
    private static final class Download extends Pump {
        private volatile boolean closedByHandler;

        @Override
        void move(UnixSocketChannel ch, byte[] buffered, WriteWatch watch) throws IOException, InterruptedException {
            StreamFrames.Writer frames = new StreamFrames.Writer(new ChannelOutput(ch, watch));
            while (true) {
                byte[] next = queue.take();
                if (next == ABORT) {
                    frames.abort();
                    return;
                }
                if (next == END) {
                    frames.close();
                    return;
                }
                frames.write(next, 0, next.length);
            }
        }

        @Override
        void abandon() {
            if (!closedByHandler) {
                super.abandon();
            }
        }

        OutputStream handlerSide() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    while (len > 0) {
                        int n = Math.min(len, CHUNK);
                        offer(Arrays.copyOfRange(b, off, off + n));
                        off += n;
                        len -= n;
                    }
                }

                @Override
                public void close() throws IOException {
                    if (!closedByHandler) {
                        offer(END);
                        closedByHandler = true;
                    }
                }

                private void offer(byte[] chunk) throws IOException {
                    IOException f = failure;
                    try {
                        if (f != null || !put(chunk)) {
                            throw new IOException("the client stopped reading its download"
                                    + (f == null ? "" : ": " + f.getMessage()), f);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("cancelled while sending the client's download");
                    }
                }
            };
        }
    }

    /** Plain channel reads (Channels.newInputStream would hold the channel's blocking lock). */
    private static final class ChannelInput extends InputStream {
        private final UnixSocketChannel ch;

        ChannelInput(UnixSocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = ch.read(ByteBuffer.wrap(b, off, len));
            return n <= 0 && len > 0 ? -1 : n;
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final UnixSocketChannel ch;
        private final WriteWatch watch;

        ChannelOutput(UnixSocketChannel ch, WriteWatch watch) {
            this.ch = ch;
            this.watch = watch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            watch.headway();
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                    watch.headway();
                }
            } finally {
                watch.idle();
            }
        }
    }
}
