package dev.banger.daemon;

import ch.qos.logback.classic.Level;
import dev.banger.core.BuildInfo;
import dev.banger.core.config.Config;
import dev.banger.core.config.ConfigException;
import dev.banger.core.config.ConfigLoader;
import dev.banger.daemon.store.StoreException;
import dev.banger.daemon.system.SdNotify;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bangerd --config FILE}: runs the daemon in the foreground until shutdown or SIGTERM. */
@Command(name = "bangerd", mixinStandardHelpOptions = true, versionProvider = Bangerd.Version.class,
        description = "banger's host daemon: serves JSON-RPC on a Unix socket.",
        subcommands = {DoctorCommand.class, SystemCommand.class, UpdateCommand.class, UpdateCommand.Release.class})
public final class Bangerd implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE",
            description = "TOML config file (every key optional; see docs/config.md). Default: built-in defaults.")
    Path configFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bangerd()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Optional<Config> loaded = loadConfig(configFile);
        if (loaded.isEmpty()) {
            return 2;
        }
        Config config = loaded.get();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(Level.toLevel(config.logLevel()));
        Daemon daemon;
        try {
            daemon = Daemon.open(config);
        } catch (StoreException | UncheckedIOException e) {
            System.err.println("bangerd: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "sigterm"));
        try {
            daemon.serve();
            SdNotify.ready(System.getenv());
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("bangerd: " + e.getMessage());
            daemon.close();
            return 1;
        }
        daemon.awaitStop();
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().oneLine("bangerd")};
        }
    }

    /** {@code --config} (built-in defaults without it) and the environment; empty once stderr says why it cannot be read. */
    static Optional<Config> loadConfig(Path configFile) {
        try {
            return Optional.of(ConfigLoader.load(configFile, System.getenv()));
        } catch (ConfigException e) {
            System.err.println("bangerd: " + e.getMessage());
            return Optional.empty();
        }
    }
}
