package dev.banger.daemon;

import dev.banger.core.BuildInfo;
import dev.banger.core.config.ConfigException;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.update.ReleaseBundle;
import dev.banger.daemon.update.Updater;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bangerd update --from FILE|URL | --rollback}, which {@code banger update} runs; and {@code bangerd release}, which build.sh runs. */
@Command(name = "update", description = {"Install a signed release bundle as root, or go back to the previous release.",
        "The bundle is checked against /etc/banger/release-key.pem; the daemon is restarted on it and checked",
        "with doctor, and the previous release comes back if it fails (docs/update.md)."})
final class UpdateCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--from", paramLabel = "FILE|URL", required = true, description = "The bundle: a file or an http(s) URL.")
        String from;

        @Option(names = "--rollback", required = true, description = "Go back to the previous release.")
        boolean rollback;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--force", description = "Install the bundle even when its version is not newer than the installed one.")
    boolean force;

    @Option(names = "--root", hidden = true, defaultValue = "/", description = "The install root (tests).")
    Path root;

    @Override
    public Integer call() throws Exception {
        Path r = root.toAbsolutePath();
        Updater.Target t = new Updater.Target(r, r.equals(r.getRoot()));
        Updater updater = new Updater(new CommandRunner(), new Systemd(new CommandRunner()), System.out::println, Clock.systemUTC());
        try {
            if (source.rollback) {
                updater.rollback(t);
            } else {
                updater.update(t, source.from, force);
            }
            return 0;
        } catch (ConfigException e) {
            System.err.println("banger: " + e.getMessage());
            return 2;
        } catch (BangerException | IllegalStateException e) {
            System.err.println("banger: " + e.getMessage());
            return 1;
        }
    }

    /** {@code bangerd release --key KEY --out FILE BUILD}: packs and signs a build tree (scripts/build.sh --release). */
    @Command(name = "release", hidden = true, description = "Pack and sign the build tree BUILD as a release bundle.")
    static final class Release implements Callable<Integer> {
        @Option(names = "--key", required = true, paramLabel = "PEM", description = "The Ed25519 private key (PKCS#8 PEM).")
        Path key;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the bundle.")
        Path out;

        @Parameters(paramLabel = "BUILD", description = "The build tree (scripts/build.sh's build/).")
        Path tree;

        @Override
        public Integer call() throws Exception {
            try {
                BuildInfo b = BuildInfo.current();
                byte[] bundle = ReleaseBundle.seal(tree, new ReleaseBundle.Release(b.version(), b.commit(), b.built()),
                        ReleaseBundle.readPrivateKey(key));
                Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
                Files.write(tmp, bundle);
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                System.out.println("release bundle " + out + " (banger " + b.version() + ", " + bundle.length + " bytes)");
                return 0;
            } catch (BangerException e) {
                System.err.println("bangerd release: " + e.getMessage());
                return 1;
            }
        }
    }
}
