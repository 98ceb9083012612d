package dev.banger.daemon.image.oci;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads response bodies chunk by chunk under a stall watchdog: silence longer than
 * {@code timeout} ends the read as if the connection broke. Interrupting the reading thread
 * cancels promptly.
 */
final class BodyReader {

    /** One daemon thread watches every running body read for silence longer than the timeout. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registry-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Duration timeout;

    BodyReader(Duration timeout) {
        this.timeout = timeout;
    }

    @FunctionalInterface
    interface Chunk {
        void accept(byte[] buf, int n) throws IOException;
    }

    /** The body stopped short: the connection broke ({@code stalled} false) or went silent. A retry may resume it. */
    static final class BrokenBody extends Exception {
        final boolean stalled;

        BrokenBody(boolean stalled, IOException cause) {
            super(cause);
            this.stalled = stalled;
        }

        /** "stalled: no data for 500 ms" or why the connection broke, for messages. */
        String reason(Duration timeout) {
            return stalled ? "stalled: no data for " + human(timeout) : RegistryHttp.describe((IOException) getCause());
        }
    }

    /**
     * Feeds the body to {@code sink} until its end. A read failure is {@link BrokenBody}; an
     * interrupt is {@link RegistryCancelledException}; errors of {@code sink} (the disk) propagate.
     */
    void copy(HttpResponse<InputStream> r, String label, Chunk sink) throws BrokenBody, IOException {
        Watchdog dog = new Watchdog(Thread.currentThread());
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    dog.stop();
                    if (!dog.fired && Thread.currentThread().isInterrupted()) {
                        throw new RegistryCancelledException("download of " + label + " was cancelled");
                    }
                    throw new BrokenBody(dog.fired, e);
                }
                if (n < 0) {
                    return;
                }
                dog.progress();
                if (Thread.currentThread().isInterrupted()) {
                    throw new RegistryCancelledException("download of " + label + " was cancelled");
                }
                sink.accept(buf, n);
            }
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted() && !dog.fired) {
                throw new RegistryCancelledException("download of " + label + " was cancelled");
            }
            throw e;
        } finally {
            dog.stop();
        }
    }

    /** A whole small body (a manifest, a token, an error), at most {@code max} bytes. */
    byte[] readSmall(HttpResponse<InputStream> r, int max, String what, String where) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            copy(r, what + " from " + where, (buf, n) -> {
                if (out.size() + n > max) {
                    throw new RegistryException(what + " in " + where + " is larger than " + max + " bytes");
                }
                out.write(buf, 0, n);
            });
        } catch (BrokenBody e) {
            throw new RegistryException("reading " + what + " from " + where + " failed after " + out.size() + " bytes ("
                    + e.reason(timeout) + ")", e.getCause());
        } catch (IOException e) {
            throw new RegistryException("reading " + what + " from " + where + " failed: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /**
     * Interrupts the reading thread when no byte has arrived for {@code timeout}; the read then
     * fails and {@link #fired} tells a stall from a cancellation.
     */
    private final class Watchdog {
        private final Thread reader;
        private final ScheduledFuture<?> task;
        private volatile long lastProgress = System.nanoTime();
        private volatile boolean fired;
        private boolean stopped;

        Watchdog(Thread reader) {
            this.reader = reader;
            long period = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
            this.task = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
        }

        void progress() {
            lastProgress = System.nanoTime();
        }

        private synchronized void check() {
            if (!stopped && System.nanoTime() - lastProgress > timeout.toNanos()) {
                fired = true;
                stopped = true;
                task.cancel(false);
                reader.interrupt();
            }
        }

        /** Called on the reading thread; a stall's interrupt is ours, so it is cleared. */
        synchronized void stop() {
            stopped = true;
            task.cancel(false);
            if (fired) {
                Thread.interrupted();
            }
        }
    }
}
