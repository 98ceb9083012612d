package dev.banger.daemon.update;

import dev.banger.core.InstallRecord;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.config.ConfigLoader;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.system.DaemonPing;
import dev.banger.daemon.system.SystemInstaller;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.system.UnitFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code banger update --from FILE|URL} and {@code --rollback}: installs a signed release bundle next
 * to the current release, switches to it while the daemon is stopped, and goes back on its own when
 * the new daemon does not answer or its doctor FAILs. docs/update.md tells the whole story.
 */
public final class Updater {

    /** Where the install lives: {@code root} is "/" on a real host, a scratch directory in tests. */
    public record Target(Path root, boolean host) {
        Path local(Path onTarget) {
            return InstallRecord.under(root, onTarget);
        }
    }

    private final CommandRunner runner;
    private final Systemd systemd;
    private final Consumer<String> say;
    private final Clock clock;

    public Updater(CommandRunner runner, Systemd systemd, Consumer<String> say, Clock clock) {
        this.runner = runner;
        this.systemd = systemd;
        this.say = say;
        this.clock = clock;
    }

    /** Installs the bundle at {@code from} (a file, or an http(s) URL); {@code force} allows a version that is not newer. */
    public void update(Target t, String from, boolean force) throws InterruptedException {
        requireRoot();
        InstallRecord rec = installed(t);
        PublicKey key = releaseKey(t);
        byte[] payload = ReleaseBundle.open(fetch(from), key, from); // before anything is unpacked
        Releases releases = new Releases(t.local(rec.prefix().resolve("lib")));
        DaemonControl daemon = daemon(t, rec);
        Path staging = null;
        try {
            String current = releases.currentVersion().orElse(rec.version());
            staging = Files.createTempDirectory(releases.current().getParent(), ".banger-incoming-");
            ReleaseBundle.Release r = ReleaseBundle.unpack(payload, staging);
            if (r.version().equals(current)) {
                throw BangerException.badRequest("banger " + current + " is installed already; nothing was changed");
            }
            if (!force && ReleaseBundle.compareVersions(r.version(), current) < 0) {
                throw BangerException.badRequest("the bundle's version " + r.version() + " is older than the installed "
                        + current + "; --force installs it anyway. Nothing was changed");
            }
            daemon.requireIdle();
            releases.adopt(new ReleaseBundle.Release(current, rec.commit(), rec.built()));
            releases.add(staging, r.version());
            staging = null;
            Optional<String> previous = releases.previousVersion();
            try {
                daemon.stop();
            } catch (RuntimeException e) {
                releases.remove(r.version());
                throw e;
            }
            releases.switchTo(r.version());
            say.accept("switched to banger " + r.version() + "; starting its daemon");
            String failure = verify(daemon);
            if (failure != null) {
                rollBack(daemon, releases, current, previous);
                releases.remove(r.version());
                throw new BangerException(ErrorCode.OPERATION_FAILED, "banger " + r.version() + " failed (" + failure
                        + "); rolled back to " + current + ", whose daemon answers again");
            }
            releases.prune();
            record(t, rec, r, releases);
            say.accept("updated banger " + current + " -> " + r.version() + "; `banger update --rollback` goes back");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "update failed: " + e.getMessage(), e);
        } finally {
            if (staging != null) {
                FileTrees.deleteQuietly(staging);
            }
        }
    }

    /** Switches back to the previous release by hand (after an update that passed its checks but misbehaves). */
    public void rollback(Target t) throws InterruptedException {
        requireRoot();
        InstallRecord rec = installed(t);
        Releases releases = new Releases(t.local(rec.prefix().resolve("lib")));
        DaemonControl daemon = daemon(t, rec);
        try {
            String current = releases.currentVersion().orElse(rec.version());
            String previous = releases.previousVersion().orElseThrow(() -> BangerException.notFound(
                    "there is no previous release to go back to (no " + releases.current() + ".previous)"));
            if (!Files.isDirectory(releases.dir(previous))) {
                throw BangerException.notFound("the previous release " + previous + " is gone from " + releases.dir(previous));
            }
            daemon.requireIdle();
            daemon.stop();
            releases.switchTo(previous);
            if (!daemon.startAndAwait()) {
                rollBack(daemon, releases, current, Optional.of(previous));
                throw new BangerException(ErrorCode.OPERATION_FAILED, "the daemon of " + previous
                        + " did not answer; back on " + current + ", whose daemon answers again");
            }
            record(t, rec, ReleaseBundle.describe(releases.dir(previous)), releases);
            say.accept("rolled back banger " + current + " -> " + previous + "; its daemon answers on " + daemon.socket());
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "rollback failed: " + e.getMessage(), e);
        }
    }

    /** Null when the new daemon answers and its doctor has no FAIL; else what went wrong. */
    private String verify(DaemonControl daemon) throws InterruptedException {
        if (!daemon.startAndAwait()) {
            return "its daemon did not answer on " + daemon.socket() + " within " + DaemonPing.WAIT.toSeconds() + " s";
        }
        List<String> fails = daemon.doctorFailures();
        return fails.isEmpty() ? null : "doctor: " + String.join("; ", fails);
    }

    /** Back to {@code version} with its daemon; runs to the end whatever fails on the way. */
    private void rollBack(DaemonControl daemon, Releases releases, String version, Optional<String> previous)
            throws IOException, InterruptedException {
        say.accept("rolling back to banger " + version);
        try {
            daemon.stop();
        } catch (RuntimeException stuck) {
            say.accept("the failed daemon did not stop: " + stuck.getMessage());
        }
        releases.switchBack(version, previous);
        if (!daemon.startAndAwait()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "rolled back to banger " + version
                    + ", but its daemon does not answer on " + daemon.socket() + " either; see its log (journalctl -u bangerd, or "
                    + "bangerd.log in the state dir)");
        }
    }

    private DaemonControl daemon(Target t, InstallRecord rec) {
        Config config = ConfigLoader.load(rec.config(), Map.of());
        boolean viaSystemd = t.host() && systemd.isPid1() && Files.exists(t.local(UnitFile.PATH));
        return new DaemonControl(runner, systemd, viaSystemd, t.local(rec.prefix().resolve("lib/banger/bin")), rec.config(),
                Layout.of(config));
    }

    /** install.toml names the new release, and the releases' directory and link for uninstall. */
    private void record(Target t, InstallRecord rec, ReleaseBundle.Release r, Releases releases) throws IOException {
        LinkedHashSet<Path> files = new LinkedHashSet<>(rec.files());
        files.add(rec.prefix().resolve("lib").resolve(Releases.DIR));
        files.add(rec.prefix().resolve("lib/banger.previous"));
        InstallRecord now = new InstallRecord(rec.owner(), rec.uid(), rec.gid(), r.version(), r.commit(), r.built(),
                clock.instant().toString(), rec.prefix(), rec.config(), List.copyOf(files), rec.createdVmmUser());
        Path file = t.local(InstallRecord.PATH);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, now.toToml());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static InstallRecord installed(Target t) {
        return InstallRecord.read(t.root()).orElseThrow(() -> BangerException.notFound(
                "banger is not installed on this host (no " + t.local(InstallRecord.PATH) + "); update replaces an install "
                        + "of `sudo banger system install`"));
    }

    private static PublicKey releaseKey(Target t) {
        Path key = t.local(SystemInstaller.RELEASE_KEY);
        if (!Files.exists(key)) {
            throw BangerException.notFound("no release key at " + key + ": install one with "
                    + "`sudo banger system install --release-key FILE`; update refuses unsigned releases");
        }
        return ReleaseBundle.readPublicKey(key);
    }

    private void requireRoot() {
        if (!runner.run("id", "-u").stdout().strip().equals("0")) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, "update replaces root's daemon and must run as root: sudo banger update");
        }
    }

    /** The bundle's bytes, at most {@link ReleaseBundle#MAX_BYTES}: a file, or an http(s) URL. */
    private static byte[] fetch(String from) throws InterruptedException {
        try {
            if (from.startsWith("http://") || from.startsWith("https://")) {
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                        .followRedirects(HttpClient.Redirect.NORMAL).build();
                HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create(from)).timeout(Duration.ofMinutes(10)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    if (r.statusCode() != 200) {
                        throw new BangerException(ErrorCode.NOT_FOUND, from + " answered HTTP " + r.statusCode() + "; nothing was changed");
                    }
                    return capped(in, from);
                }
            }
            if (from.contains("://")) {
                throw BangerException.badRequest("--from takes a file or an http(s) URL; got " + from);
            }
            try (InputStream in = Files.newInputStream(Path.of(from))) {
                return capped(in, from);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new BangerException(ErrorCode.NOT_FOUND, "cannot read the bundle " + from + ": " + e.getMessage() + "; nothing was changed", e);
        }
    }

    private static byte[] capped(InputStream in, String from) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            out.write(buf, 0, n);
            if (out.size() > ReleaseBundle.MAX_BYTES) {
                throw BangerException.badRequest(from + " is larger than " + (ReleaseBundle.MAX_BYTES >> 20) + " MiB: not a release bundle");
            }
        }
        return out.toByteArray();
    }
}
