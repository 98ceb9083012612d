package dev.banger.daemon.system;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** systemctl for bangerd's unit, and whether systemd is this host's init at all. */
public final class Systemd {

    /** sd_booted(3): systemd is PID 1 exactly when this directory exists. */
    static final Path BOOTED_MARKER = Path.of("/run/systemd/system");
    public static final String NOT_PID1 = "PID 1 is not systemd on this host, so bangerd.service cannot run here; "
            + "start the daemon with `banger daemon start` instead";

    private final CommandRunner runner;
    private final Path bootedMarker;

    public Systemd(CommandRunner runner) {
        this(runner, BOOTED_MARKER);
    }

    /** {@code bootedMarker}: the directory whose presence means systemd is PID 1 (tests point it elsewhere). */
    public Systemd(CommandRunner runner, Path bootedMarker) {
        this.runner = runner;
        this.bootedMarker = bootedMarker;
    }

    public boolean isPid1() {
        return Files.isDirectory(bootedMarker);
    }

    /** {@code active}, {@code inactive}, {@code failed}, ... as {@code systemctl is-active} prints it. */
    public String activeState(String unit) {
        CommandResult r = runner.runAllowingFailure(systemctl("is-active", unit));
        return r.stdout().strip().isEmpty() ? "unknown" : r.stdout().strip();
    }

    void daemonReload() {
        runner.run(systemctl("daemon-reload"));
    }

    void enable(String unit) {
        runner.run(systemctl("enable", unit));
    }

    /** Starts it, or restarts it when it runs already (a reinstall), waiting for its READY=1. */
    void restart(String unit) {
        runner.run(systemctl("restart", unit).withTimeout(Duration.ofMinutes(2)));
    }

    /** Starts it (waiting for its READY=1); an error when it fails to start. */
    public void start(String unit) {
        runner.run(systemctl("start", unit).withTimeout(Duration.ofMinutes(2)));
    }

    public void stop(String unit) {
        runner.run(systemctl("stop", unit).withTimeout(Duration.ofMinutes(2)));
    }

    void disableNow(String unit) {
        runner.runAllowingFailure(systemctl("disable", "--now", unit).withTimeout(Duration.ofMinutes(2)));
    }

    private static Command systemctl(String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = "systemctl";
        System.arraycopy(args, 0, argv, 1, args.length);
        return Command.of(argv);
    }
}
