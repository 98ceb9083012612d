package dev.banger.daemon.vm.warm;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background side of warm start: template builds run one at a time on one daemon thread (a
 * build is a whole second boot; on a small host two at once would starve the user's VMs), at most
 * one queued or running per key. A build that fails is logged and forgotten: the next create of
 * that key queues it again. A user's create never waits for one.
 */
public final class TemplateBuilds implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TemplateBuilds.class);
    /** The nice value of a template's VMM: the user's VMs (nice 0) come first. */
    static final int NICE = 19;

    private final CommandRunner runner;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "template-build");
        t.setDaemon(true);
        return t;
    });

    public TemplateBuilds(CommandRunner runner) {
        this.runner = runner;
    }

    /** Queues {@code build} unless one of this key is queued or running; true when queued. */
    public boolean submit(TemplateKey key, String what, Runnable build) {
        if (!pending.add(key.digest())) {
            return false;
        }
        try {
            worker.execute(() -> {
                long t0 = System.nanoTime();
                try {
                    build.run();
                    LOG.info("template {} for {} built in {} ms", key.digest().substring(0, 12), what, (System.nanoTime() - t0) / 1_000_000);
                } catch (RuntimeException e) {
                    LOG.warn("template {} for {} failed after {} ms (a later create retries): {}", key.digest().substring(0, 12), what,
                            (System.nanoTime() - t0) / 1_000_000, e.getMessage());
                } finally {
                    pending.remove(key.digest());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) { // the daemon is closing
            pending.remove(key.digest());
            return false;
        }
        LOG.info("template {} for {} queued:\n{}", key.digest().substring(0, 12), what, key.inputs());
        return true;
    }

    /** Whether a build of this key is queued or running. */
    public boolean pending(TemplateKey key) {
        return pending.contains(key.digest());
    }

    /**
     * The step that lowers a template VM's CPU priority once it runs: {@code renice} of each of its
     * VMM's threads (a nice value is per thread on Linux, and the vCPU threads exist once it was
     * launched); a failure only logs (the build goes on at normal priority).
     */
    public BootStep lowPriority() {
        return new BootStep() {
            @Override
            public String name() {
                return "lower priority";
            }

            @Override
            public void run(BootContext boot) {
                long pid = boot.machine().pid();
                List<String> argv = new ArrayList<>(List.of("renice", "-n", String.valueOf(NICE), "-p"));
                try (Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
                    tasks.forEach(t -> argv.add(t.getFileName().toString()));
                } catch (IOException e) {
                    argv.add(String.valueOf(pid)); // the process is gone: renice says so below
                }
                var r = runner.runAllowingFailure(Command.of(argv.toArray(String[]::new)).withTimeout(Duration.ofSeconds(10)));
                if (r.exitCode() != 0) {
                    LOG.warn("template VM {}: renice of pid {} failed ({}); it runs at normal priority", boot.vm().name(), pid,
                            r.stderr().strip());
                }
            }
        };
    }

    /** Stops taking builds; a running one is interrupted (its undo still runs to the end) and waited for a while. */
    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(70, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
