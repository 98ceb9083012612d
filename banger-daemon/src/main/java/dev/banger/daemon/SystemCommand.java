package dev.banger.daemon;

import dev.banger.core.InstallRecord;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.config.ConfigException;
import dev.banger.core.config.ConfigLoader;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.system.SystemInstaller;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.update.ReleaseBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bangerd system install|status|restart|uninstall}, which {@code banger system ...} runs. */
@Command(name = "system", description = "Install banger as a systemd service, and manage that install.",
        subcommands = {SystemCommand.Install.class, SystemCommand.Status.class, SystemCommand.Restart.class,
                SystemCommand.Uninstall.class})
final class SystemCommand {

    /** Options every subcommand has: the target root (tests) and the config. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--root", hidden = true, defaultValue = "/", description = "Install into this directory instead of / (tests).")
        Path root;

        final SystemInstaller installer() {
            return new SystemInstaller(new CommandRunner(), new Systemd(new CommandRunner()), System.out::println, Clock.systemUTC());
        }

        /** The installed config (install.toml), else {@code configFile}, else defaults. */
        final Config config(Path configFile) {
            Path file = configFile;
            if (file == null) {
                file = InstallRecord.read(root.toAbsolutePath()).map(InstallRecord::config).orElse(null);
            }
            return ConfigLoader.load(file == null ? null : file.toAbsolutePath(), Map.of());
        }

        abstract int run() throws Exception;

        @Override
        public final Integer call() throws Exception {
            try {
                return run();
            } catch (ConfigException e) {
                System.err.println("banger: " + e.getMessage());
                return 2;
            } catch (BangerException | IllegalStateException e) {
                System.err.println("banger: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "install", description = {"Install this build as a systemd service (as root): launchers and jars under PREFIX,",
            "/etc/banger/install.toml, group banger with the owner in it, bangerd.service; then start it and wait for ping."})
    static final class Install extends Base {
        @Option(names = "--owner", paramLabel = "USER", description = "The user banger is for (default: $SUDO_USER).")
        String owner;

        @Option(names = "--prefix", paramLabel = "DIR", defaultValue = "/usr/local", description = "Install under DIR (default: ${DEFAULT-VALUE}).")
        Path prefix;

        @Option(names = "--config", paramLabel = "FILE", description = "A bangerd config the unit passes to bangerd (default: none, built-in defaults).")
        Path configFile;

        @Option(names = "--release-key", paramLabel = "PEM", description = "The Ed25519 public key `banger update` checks release bundles against.")
        Path releaseKey;

        @Override
        int run() throws Exception {
            String home = System.getProperty("banger.home");
            if (home == null) {
                throw BangerException.badRequest("run system install through the banger launcher of a build (scripts/build.sh)");
            }
            String who = owner != null ? owner : System.getenv("SUDO_USER");
            Path cfg = configFile == null ? null : configFile.toAbsolutePath();
            String keyPem = null;
            if (releaseKey != null) {
                ReleaseBundle.readPublicKey(releaseKey); // refuses anything but an Ed25519 public key
                keyPem = Files.readString(releaseKey);
            }
            installer().install(Path.of(home), new SystemInstaller.Target(root.toAbsolutePath(), prefix), who, cfg,
                    ConfigLoader.load(cfg, Map.of()), keyPem, true);
            return 0;
        }
    }

    @Command(name = "status", description = "Show the install, the unit's state and whether bangerd answers (exit 1 unless all is well).")
    static final class Status extends Base {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run() {
            Config c = config(null);
            return installer().status(new SystemInstaller.Target(root.toAbsolutePath(), Path.of("/usr/local")), c.socketPath(), json) ? 0 : 1;
        }
    }

    @Command(name = "restart", description = "Restart bangerd.service (VMs keep running) and wait up to 15 s for ping.")
    static final class Restart extends Base {
        @Override
        int run() throws Exception {
            installer().restart(new SystemInstaller.Target(root.toAbsolutePath(), Path.of("/usr/local")), config(null).socketPath());
            System.out.println("bangerd restarted");
            return 0;
        }
    }

    @Command(name = "uninstall", description = {"Stop and remove the service and the files install wrote.",
            "The group banger and the state stay, unless --purge (state, cache and runtime dirs)."})
    static final class Uninstall extends Base {
        @Option(names = "--purge", description = "Also delete the state, cache and runtime directories (images, kernels, VMs).")
        boolean purge;

        @Override
        int run() {
            installer().uninstall(new SystemInstaller.Target(root.toAbsolutePath(), Path.of("/usr/local")), Layout.of(config(null)), purge);
            return 0;
        }
    }
}
