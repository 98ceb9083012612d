package dev.banger.daemon.vm.boot;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.ops.Uncancellable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs boot steps in order. When one fails, it and every earlier step are undone in reverse; an
 * undo that fails is logged and joined to the error as suppressed, and the rest still run. The undo
 * runs to the end even when a cancel (the client hung up) is what failed the step: see
 * {@link Uncancellable}. Only a complete undo removes handles.json; after an incomplete one it
 * stays, phase {@link VmHandles#FAILED}, for the next reconcile to finish.
 */
public final class StepRunner {

    private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);

    private StepRunner() {
    }

    public static void run(List<BootStep> steps, BootContext boot) {
        boot.persist(); // from here on, a daemon that dies leaves a record that this start began
        List<BootStep> begun = new ArrayList<>();
        StringBuilder timings = new StringBuilder();
        long start = System.nanoTime();
        for (BootStep step : steps) {
            begun.add(step);
            try {
                boot.progress(step.name());
                long t0 = System.nanoTime();
                step.run(boot);
                boot.persist();
                timings.append(timings.isEmpty() ? "" : ", ").append(step.name()).append(' ').append((System.nanoTime() - t0) / 1_000_000)
                        .append(" ms");
            } catch (Exception e) {
                RuntimeException failure = failure(step, e);
                undo(begun, boot, failure);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw failure;
            }
        }
        // One line per start with each step's time: where a boot or a warm start spends it (bench/warm-start.sh reads it).
        LOG.info("VM {} started in {} ms: {}", boot.vm().name(), (System.nanoTime() - start) / 1_000_000, timings);
    }

    /**
     * Gives back what {@code steps} acquired, last first, on a thread no cancel reaches, within
     * {@link Uncancellable#DEADLINE}; problems become suppressed exceptions of {@code into}.
     */
    static void undo(List<BootStep> steps, BootContext boot, Throwable into) {
        List<Exception> problems = new CopyOnWriteArrayList<>(); // an undo past its deadline may still add to it
        try {
            Uncancellable.run("undo of VM " + boot.vm().name() + "'s start", () -> undoEach(steps, boot, problems));
        } catch (RuntimeException e) {
            problems.add(e);
        }
        problems.forEach(into::addSuppressed);
        if (problems.isEmpty()) {
            HandlesFile.delete(boot.vmDir());
        } else {
            HandlesFile.write(boot.vmDir(), boot.handles().failed());
            LOG.warn("undo of VM {}'s start was incomplete; the next daemon start finishes it (or vm delete)", boot.vm().name());
        }
    }

    private static void undoEach(List<BootStep> steps, BootContext boot, List<Exception> problems) {
        for (int i = steps.size() - 1; i >= 0; i--) {
            BootStep step = steps.get(i);
            try {
                step.undo(boot);
            } catch (Exception e) {
                LOG.warn("undo of step '{}' for VM {} failed: {}", step.name(), boot.vm().name(), e.getMessage());
                problems.add(e);
            }
        }
    }

    private static RuntimeException failure(BootStep step, Exception e) {
        if (e instanceof BangerException || e instanceof NoSpaceException) { // the service maps a full disk
            return (RuntimeException) e;
        }
        if (e instanceof InterruptedException) {
            return new BangerException(ErrorCode.CANCELLED, "start cancelled during step '" + step.name() + "'");
        }
        return new BangerException(ErrorCode.OPERATION_FAILED, "step '" + step.name() + "' failed: " + e.getMessage(), e);
    }
}
