package dev.banger.cli.commands;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.cli.client.RpcClient;
import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.Layout;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.config.Config;
import dev.banger.core.config.ConfigException;
import dev.banger.core.config.ConfigLoader;
import dev.banger.core.model.PingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "start", description = {
        "Start bangerd in the background (pid file and log file), then wait for it to answer ping.",
        "On a host where systemd manages bangerd, use `systemctl start bangerd` instead."})
public final class DaemonStartCommand implements Callable<Integer>, PrintsNoData {

    private static final Path SYSTEMD_UNIT = Path.of("/etc/systemd/system/bangerd.service");

    private final Invocation inv;

    DaemonStartCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--config", paramLabel = "FILE", description = "The TOML config bangerd reads (default: built-in defaults).")
    Path config;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "15",
            description = "How long to wait for the daemon to answer (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        RootCommand root = inv.root();
        Config cfg;
        try {
            cfg = ConfigLoader.load(config == null ? null : config.toAbsolutePath(), root.env());
        } catch (ConfigException e) {
            inv.terminal().error(e.getMessage(), null);
            return RootCommand.EXIT_USAGE;
        }
        Path socket = cfg.socketPath();
        if (root.socketChosen() && !root.socket().toAbsolutePath().equals(socket)) {
            inv.terminal().error("--socket/BANGER_SOCKET (" + root.socket() + ") differs from the config's socket_path ("
                    + socket + "); the daemon listens on the latter", null);
            return RootCommand.EXIT_USAGE;
        }
        Optional<PingResult> running = ping(socket);
        if (running.isPresent()) {
            inv.terminal().println("bangerd is already running (pid " + running.get().pid() + ", socket " + socket + ")");
            return 0;
        }
        if (Files.isDirectory(Path.of("/run/systemd/system")) && Files.exists(SYSTEMD_UNIT)) {
            inv.terminal().error("systemd manages bangerd on this host: run `sudo systemctl start bangerd`", null);
            return RootCommand.EXIT_FAILED;
        }
        Path bangerd = locateDaemon(root);
        Layout layout = Layout.of(cfg);
        Path log = layout.daemonLog();
        try {
            Files.createDirectories(log.getParent());
        } catch (IOException e) {
            inv.terminal().error("cannot create " + log.getParent() + " for the daemon's log: " + e.getMessage()
                    + " (run as root, or pass --config with directories you own)", null);
            return RootCommand.EXIT_FAILED;
        }
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            argv.add("/usr/bin/setsid"); // own session: closing the terminal must not take the daemon down
        }
        argv.add(bangerd.toString());
        if (config != null) {
            argv.add("--config");
            argv.add(config.toAbsolutePath().toString());
        }
        long pid = ProcessLauncher.startDetached(argv, log);
        long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
        while (System.nanoTime() < deadline) {
            if (ping(socket).isPresent()) {
                inv.terminal().println("bangerd started (pid " + pid + ", socket " + socket + ", log " + log + ")");
                return 0;
            }
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                inv.terminal().error("bangerd exited during start-up; the end of " + log + ":", null);
                tail(log, 15).forEach(l -> inv.terminal().hint(l));
                return RootCommand.EXIT_FAILED;
            }
            Thread.sleep(50);
        }
        inv.terminal().error("bangerd (pid " + pid + ") did not answer on " + socket + " within " + waitSeconds
                + " s; see " + log, null);
        return RootCommand.EXIT_FAILED;
    }

    private static Optional<PingResult> ping(Path socket) {
        try (RpcClient c = RpcClient.connect(socket)) {
            return Optional.of(c.call(SystemApi.PING, NoParams.NONE));
        } catch (DaemonUnreachableException e) {
            return Optional.empty();
        }
    }

    /** Next to our own launcher first (a build or an install), then $PATH. */
    static Path locateDaemon(RootCommand root) {
        String home = System.getProperty("banger.home");
        if (home != null) {
            Path p = Path.of(home, "bin", "bangerd");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String path = root.env().getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "bangerd"))) {
                return Path.of(dir, "bangerd");
            }
        }
        throw new dev.banger.core.rpc.BangerException(dev.banger.core.rpc.ErrorCode.NOT_FOUND,
                "cannot find the bangerd launcher next to banger or on PATH (build it with scripts/build.sh)");
    }

    private static List<String> tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
        }
    }
}
