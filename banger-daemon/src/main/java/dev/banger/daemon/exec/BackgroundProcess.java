package dev.banger.daemon.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running process started by {@link CommandRunner#start}: a server, a VMM. It runs until
 * {@link #stop} (or {@link #close}), which asks it to end (SIGTERM), waits a grace period, then
 * kills it and anything it started.
 */
public final class BackgroundProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BackgroundProcess.class);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

    private final Command command;
    private final Process process;

    BackgroundProcess(Command command, Process process) {
        this.command = command;
        this.process = process;
    }

    public Command command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status once the process has ended, else empty. */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /** {@link #stop(Duration)} with {@link #DEFAULT_GRACE}. */
    public void stop() {
        stop(DEFAULT_GRACE);
    }

    /**
     * SIGTERM, up to {@code grace} for the process to exit, then SIGKILL for it and its
     * descendants. Returns once it is gone; calling it again does nothing. An interrupt while
     * waiting kills at once and stays set on the calling thread.
     */
    public void stop(Duration grace) {
        // Descendants now, while they are still reachable: once the parent dies they are orphaned.
        List<ProcessHandle> descendants = new ArrayList<>(process.descendants().toList());
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("pid {} did not exit within {} ms of SIGTERM, killing it: {}", pid(), grace.toMillis(), command.display());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // The parent first, so it cannot start replacements for the children killed after it.
        descendants.addAll(process.descendants().toList());
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        boolean interrupted = Thread.interrupted();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        log.debug("stopped pid {}: {}", pid(), command.display());
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "pid " + pid() + ": " + command.display();
    }
}
