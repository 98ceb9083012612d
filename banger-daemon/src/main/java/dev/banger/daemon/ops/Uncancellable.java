package dev.banger.daemon.ops;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.MDC;

/**
 * Runs clean-up work (a failed start's undo, a teardown) to the end whatever cancelled the
 * operation around it. A cancel interrupts the handler's thread, and on an interrupted thread
 * {@code CommandRunner} kills every tool at once and the VMM waits return early; so the work runs
 * on a thread of its own, which no cancel reaches, while the caller waits for it ignoring
 * interrupts (and keeps its interrupt for later). Past the deadline the work is interrupted, which
 * kills its tools; what it left stays recorded for the next reconcile.
 */
public final class Uncancellable {

    /** How long one undo or teardown may run: generous next to its tools (a VMM's kill waits 10 s at most). */
    public static final Duration DEADLINE = Duration.ofSeconds(60);

    private Uncancellable() {
    }

    /** Runs {@code work} within {@link #DEADLINE}; its exception, if any, is rethrown here. */
    public static void run(String what, Runnable work) {
        run(what, DEADLINE, work);
    }

    public static void run(String what, Duration deadline, Runnable work) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Map<String, String> logContext = MDC.getCopyOfContextMap();
        Thread worker = Thread.ofVirtual().name("uncancellable " + what).start(() -> {
            if (logContext != null) {
                MDC.setContextMap(logContext); // its log lines keep the operation's id
            }
            try {
                work.run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        boolean interrupted = false;
        long end = System.nanoTime() + deadline.toNanos();
        while (worker.isAlive()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                worker.interrupt();
                awaitQuietly(worker);
                restore(interrupted);
                throw new BangerException(ErrorCode.OPERATION_FAILED, what + " did not finish within " + deadline.toSeconds()
                        + " s; the next daemon start finishes it");
            }
            try {
                worker.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                interrupted = true; // the operation was cancelled: this work must end all the same
            }
        }
        restore(interrupted);
        Throwable t = thrown.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
    }

    /** The interrupted work's tools die at once (CommandRunner); give it a moment to say so. */
    private static void awaitQuietly(Thread worker) {
        try {
            worker.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void restore(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
