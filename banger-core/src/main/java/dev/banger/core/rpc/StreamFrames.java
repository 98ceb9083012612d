package dev.banger.core.rpc;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The framing of a byte stream that rides beside a request (see {@link Protocol#STREAM_OPEN}):
 * frames of a 4-byte big-endian length (1 to {@link #MAX_FRAME} bytes) and that many bytes, ended
 * by a frame of length 0. The end frame is what tells a finished stream from a sender that died
 * half-way: a socket closing looks the same in both cases.
 */
public final class StreamFrames {

    public static final int MAX_FRAME = 1 << 20;

    private StreamFrames() {
    }

    /** The reading side ended before the end frame: the sender died or gave up. */
    public static final class TruncatedStreamException extends IOException {
        public TruncatedStreamException(String message) {
            super(message);
        }
    }

    /** Writes frames to {@code out}; {@link #close()} writes the end frame, {@link #abort()} does not. */
    public static final class Writer extends OutputStream {
        private final OutputStream out;
        private final byte[] header = new byte[4];
        private boolean closed;

        public Writer(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream already closed");
            }
            while (len > 0) {
                int n = Math.min(len, MAX_FRAME);
                writeHeader(n);
                out.write(b, off, n);
                off += n;
                len -= n;
            }
        }

        private void writeHeader(int n) throws IOException {
            header[0] = (byte) (n >>> 24);
            header[1] = (byte) (n >>> 16);
            header[2] = (byte) (n >>> 8);
            header[3] = (byte) n;
            out.write(header);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        /** Ends the stream cleanly (the end frame) and closes the underlying stream. */
        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                writeHeader(0);
                out.flush();
            } finally {
                out.close();
            }
        }

        /** Closes without the end frame: the reader sees a truncated stream. */
        public void abort() {
            closed = true;
            try {
                out.close();
            } catch (IOException ignored) {
                // The reader learns of the failure from the missing end frame either way.
            }
        }
    }

    /** Reads frames from {@code in}; returns -1 after the end frame, throws if the stream ends first. */
    public static final class Reader extends InputStream {
        private final DataInputStream in;
        private int left;
        private boolean ended;

        public Reader(InputStream in) {
            this.in = new DataInputStream(in);
        }

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
            if (!nextFrame()) {
                return -1;
            }
            int n = in.read(b, off, Math.min(len, left));
            if (n < 0) {
                throw new TruncatedStreamException("the stream ended inside a frame");
            }
            left -= n;
            return n;
        }

        /** Moves to a frame with bytes left; false once the end frame was read. */
        private boolean nextFrame() throws IOException {
            while (left == 0) {
                if (ended) {
                    return false;
                }
                int n;
                try {
                    n = in.readInt();
                } catch (EOFException e) {
                    throw new TruncatedStreamException("the stream ended without its end frame (the sender stopped half-way)");
                }
                if (n < 0 || n > MAX_FRAME) {
                    throw new IOException("bad stream frame length " + n + " (1 to " + MAX_FRAME + ", or 0 to end)");
                }
                if (n == 0) {
                    ended = true;
                }
                left = n;
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
