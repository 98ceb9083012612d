package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import dev.banger.core.config.Config;
import dev.banger.daemon.Daemon;
import java.nio.file.Path;
import java.util.Map;

/** A real bangerd (in this JVM) on a temp state dir and socket, driven by the real CLI code. */
final class RunningDaemon implements AutoCloseable {

    final Daemon daemon;
    final Path socket;

    private RunningDaemon(Daemon daemon) {
        this.daemon = daemon;
        this.socket = daemon.socketPath();
    }

    static RunningDaemon start(Path dir) throws Exception {
        return start(Config.under(dir));
    }

    /** Warm start off: a template build is a second boot in the background, which no CLI test here is about. */
    static RunningDaemon start(Config config) throws Exception {
        return startAsConfigured(config.withVm(config.vm().withWarmStart(false)));
    }

    static RunningDaemon startAsConfigured(Config config) throws Exception {
        Daemon d = Daemon.open(config);
        try {
            d.serve();
        } catch (Exception e) {
            d.close();
            throw e;
        }
        return new RunningDaemon(d);
    }

    CliRun cli(String... args) {
        return CliRun.run(Map.of(RootCommand.SOCKET_ENV, socket.toString()), args);
    }

    /** The same as if stdout and stderr were a terminal. */
    CliRun cliOnTty(String... args) {
        return CliRun.run(Map.of(RootCommand.SOCKET_ENV, socket.toString()), true, args);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
