package dev.banger.daemon.update;

import dev.banger.core.Layout;
import dev.banger.core.model.OperationInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Methods;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.system.DaemonPing;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.system.UnitFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stops and starts the installed bangerd for an update: through systemd where it manages the unit,
 * otherwise as {@code banger daemon start|stop} do (a detached process logging to the layout's
 * daemon log; the {@code shutdown} request). One code path, chosen by what the host has.
 */
final class DaemonControl {

    private static final Duration WAIT = DaemonPing.WAIT;

    private final CommandRunner runner;
    private final Systemd systemd;
    private final boolean viaSystemd;
    private final Path launchers;
    private final Path config;
    private final Layout layout;

    /** {@code launchers}: the current release's bin/ (through the switched link); {@code config}: what the unit passes, or null. */
    DaemonControl(CommandRunner runner, Systemd systemd, boolean viaSystemd, Path launchers, Path config, Layout layout) {
        this.runner = runner;
        this.systemd = systemd;
        this.viaSystemd = viaSystemd;
        this.launchers = launchers;
        this.config = config;
        this.layout = layout;
    }

    Path socket() {
        return layout.socketPath();
    }

    /** Refuses while the daemon runs an operation (a pull, a create, ...): stopping would cut it off. */
    void requireIdle() {
        Object result;
        try {
            result = DaemonPing.call(socket(), Methods.OPERATIONS_LIST, Map.of("limit", 1000));
        } catch (IOException e) {
            if (DaemonPing.answers(socket())) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "bangerd answers but not about its operations ("
                        + e.getMessage() + "); stop it with `banger daemon stop` first. Nothing was changed");
            }
            return; // not running: nothing to interrupt
        }
        List<String> running = new ArrayList<>();
        if (result instanceof Map<?, ?> m && m.get("operations") instanceof List<?> ops) {
            for (Object o : ops) {
                if (o instanceof Map<?, ?> op && OperationInfo.RUNNING.equals(op.get("state"))
                        && !Methods.OPERATIONS_LIST.equals(op.get("method"))) {
                    running.add(op.get("method") + " (" + op.get("id") + ")");
                }
            }
        }
        if (!running.isEmpty()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "bangerd is running " + String.join(", ", running)
                    + "; update when it is done (`banger daemon operations`). Nothing was changed");
        }
    }

    void stop() throws InterruptedException {
        if (viaSystemd) {
            systemd.stop(UnitFile.NAME);
            return;
        }
        Optional<ProcessHandle> daemon;
        try {
            Object ping = DaemonPing.call(socket(), Methods.PING, null);
            daemon = ping instanceof Map<?, ?> m && m.get("pid") instanceof Number pid ? ProcessHandle.of(pid.longValue()) : Optional.empty();
            DaemonPing.call(socket(), Methods.SHUTDOWN, null);
        } catch (IOException notRunning) {
            return;
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (DaemonPing.answers(socket()) || daemon.map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "bangerd has not exited " + WAIT.toSeconds() + " s after shutdown");
            }
            Thread.sleep(50);
        }
    }

    /** Starts the current release's daemon and waits for it to answer ping; false when it does not. */
    boolean startAndAwait() throws InterruptedException {
        if (viaSystemd) {
            try {
                systemd.start(UnitFile.NAME);
            } catch (CommandFailedException e) {
                return false;
            }
            return DaemonPing.await(socket(), WAIT);
        }
        List<String> argv = new ArrayList<>(List.of(launchers.resolve("bangerd").toString()));
        if (config != null) {
            argv.addAll(List.of("--config", config.toString()));
        }
        try {
            Files.createDirectories(layout.daemonLog().getParent());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot create " + layout.daemonLog().getParent() + ": " + e.getMessage(), e);
        }
        BackgroundProcess p = runner.startDetached(Command.of(argv.toArray(String[]::new)), layout.daemonLog());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (DaemonPing.answers(socket())) {
                return true;
            }
            if (!p.isAlive()) {
                return false; // exited during start-up: no use waiting the rest
            }
            Thread.sleep(100);
        }
        p.stop();
        return false;
    }

    /** {@code banger doctor} of the current release against the running daemon: its FAIL rows, empty when none failed. */
    List<String> doctorFailures() {
        CommandResult r = runner.runAllowingFailure(Command.of(launchers.resolve("banger").toString(), "--socket",
                socket().toString(), "doctor").withTimeout(Duration.ofMinutes(2)));
        if (r.ok()) {
            return List.of();
        }
        List<String> fails = r.stdout().lines().filter(l -> l.startsWith("FAIL")).toList();
        return fails.isEmpty() ? List.of("doctor exited " + r.exitCode() + ": " + r.stderr().strip()) : fails;
    }
}
