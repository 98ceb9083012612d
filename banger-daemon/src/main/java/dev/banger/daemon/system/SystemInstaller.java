package dev.banger.daemon.system;

import dev.banger.core.BuildInfo;
import dev.banger.core.InstallRecord;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code banger system install|status|restart|uninstall}: puts a built banger (the tree
 * scripts/build.sh makes: bin/, lib/, completion/, share/man/man1/) under {@code PREFIX/lib/banger} with links in
 * {@code PREFIX/bin} and {@code PREFIX/share/man/man1}, the group {@code banger} with the owner in it, {@code bangerd.service} and
 * {@code /etc/banger/install.toml}, then starts the unit and waits for ping. Every path is taken
 * under {@link Target#root}, so tests install into a scratch directory; systemctl runs only for
 * the real root. A failed install undoes what it wrote (the group and its membership stay).
 */
public final class SystemInstaller {

    /** Where a build and an install keep the man pages, under the build and under PREFIX. */
    static final Path MAN_PAGES = Path.of("share/man/man1");

    public static final String GROUP = "banger";
    /** The public key {@code banger update} checks release bundles against (written with --release-key). */
    public static final Path RELEASE_KEY = Path.of("/etc/banger/release-key.pem");
    static final String UNIT = UnitFile.NAME;

    /** Where to install: {@code root} is "/" on a real host; {@code prefix} is on the target system. */
    public record Target(Path root, Path prefix) {
        public Target {
            if (!root.isAbsolute() || !prefix.isAbsolute()) {
                throw BangerException.badRequest("--root and --prefix must be absolute paths; got " + root + " and " + prefix);
            }
        }

        boolean isHost() {
            return root.equals(root.getRoot());
        }

        /** A target-system path as a path on this machine. */
        Path local(Path onTarget) {
            return InstallRecord.under(root, onTarget);
        }

        Path tree() {
            return prefix.resolve("lib/banger");
        }
    }

    private final CommandRunner runner;
    private final Systemd systemd;
    private final Consumer<String> say;
    private final Clock clock;

    public SystemInstaller(CommandRunner runner, Systemd systemd, Consumer<String> say, Clock clock) {
        this.runner = runner;
        this.systemd = systemd;
        this.say = say;
        this.clock = clock;
    }

    // ---- install ---------------------------------------------------------------------------

    /**
     * Installs the build tree {@code source} for {@code owner}. {@code configFile} (may be null)
     * is what the unit passes to bangerd; {@code config} is its content, for the directories.
     */
    public InstallRecord install(Path source, Target t, String owner, Path configFile, Config config, boolean startUnit)
            throws InterruptedException {
        return install(source, t, owner, configFile, config, null, startUnit);
    }

    /** The same, also writing {@code releaseKeyPem} (a checked Ed25519 public key, may be null) to {@link #RELEASE_KEY}. */
    public InstallRecord install(Path source, Target t, String owner, Path configFile, Config config, String releaseKeyPem,
                                 boolean startUnit) throws InterruptedException {
        checkSource(source);
        if (t.isHost()) {
            requireRoot("system install");
        }
        String[] account = account(t, owner);
        Optional<InstallRecord> previous = InstallRecord.read(t.root());
        ensureGroup(t);
        addToGroup(t, owner);
        String createdVmmUser = ensureVmmUser(t, config.vm().vmmUser())
                .orElse(previous.map(InstallRecord::createdVmmUser).orElse(null));

        Journal journal = new Journal(t);
        Layout layout = Layout.of(config);
        try {
            journal.directories(t.prefix().resolve("lib"), t.prefix().resolve("bin"));
            journal.tree(source, t.tree());
            journal.link(t.prefix().resolve("bin/banger"), Path.of("../lib/banger/bin/banger"));
            journal.link(t.prefix().resolve("bin/bangerd"), Path.of("../lib/banger/bin/bangerd"));
            linkManPages(source, t, journal);
            journal.directories(layout.stateDir(), layout.cacheDir());
            journal.file(UnitFile.PATH, UnitFile.render(t.tree().resolve("bin/bangerd"), configFile, layout,
                    Path.of(System.getProperty("java.home"))));
            journal.directories(InstallRecord.PATH.getParent());
            if (releaseKeyPem != null) {
                journal.file(RELEASE_KEY, releaseKeyPem);
            }
            LinkedHashSet<Path> files = new LinkedHashSet<>(previous.map(InstallRecord::files).orElse(List.of()));
            files.addAll(journal.made());
            files.add(InstallRecord.PATH);
            BuildInfo b = BuildInfo.current();
            InstallRecord record = new InstallRecord(owner, Integer.parseInt(account[2]), Integer.parseInt(account[3]),
                    b.version(), b.commit(), b.built(), clock.instant().toString(), t.prefix(), configFile, List.copyOf(files),
                    createdVmmUser);
            journal.file(InstallRecord.PATH, record.toToml());
            journal.commit();
            say.accept("installed banger " + b.version() + " for " + owner + " under " + t.local(t.tree()));
            if (t.isHost() && startUnit) {
                start(layout.socketPath());
            }
            return record;
        } catch (IOException e) {
            journal.rollBack();
            throw new BangerException(ErrorCode.OPERATION_FAILED, "system install failed, nothing was left behind: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            journal.rollBack();
            throw e;
        }
    }

    /** PREFIX/share/man/man1/banger*.1 linked to the build's pages, so `man banger-vm-create` finds them. */
    private static void linkManPages(Path source, Target t, Journal journal) throws IOException {
        Path pages = source.resolve(MAN_PAGES);
        if (!Files.isDirectory(pages)) {
            return;
        }
        Path manDir = t.prefix().resolve(MAN_PAGES);
        journal.directories(manDir);
        try (var list = Files.list(pages)) {
            for (Path page : list.filter(p -> p.getFileName().toString().endsWith(".1")).sorted().toList()) {
                journal.link(manDir.resolve(page.getFileName().toString()),
                        Path.of("../../../lib/banger").resolve(MAN_PAGES).resolve(page.getFileName().toString()));
            }
        }
    }

    private void start(Path socket) throws InterruptedException {
        if (!systemd.isPid1()) {
            say.accept(Systemd.NOT_PID1);
            return;
        }
        systemd.daemonReload();
        systemd.enable(UNIT);
        systemd.restart(UNIT);
        awaitPing(socket);
    }

    private void awaitPing(Path socket) throws InterruptedException {
        if (!DaemonPing.await(socket, DaemonPing.WAIT)) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "bangerd did not answer ping on " + socket + " within "
                    + DaemonPing.WAIT.toSeconds() + " s; see `journalctl -u bangerd`");
        }
        say.accept("bangerd answers on " + socket);
    }

    private static void checkSource(Path source) {
        for (String part : List.of("bin/banger", "bin/bangerd", "lib")) {
            if (!Files.exists(source.resolve(part))) {
                throw new BangerException(ErrorCode.NOT_FOUND, source + " is not a banger build (no " + part
                        + "); run scripts/build.sh and install from build/bin/banger");
            }
        }
    }

    private void requireRoot(String what) {
        CommandResult id = runner.run("id", "-u");
        if (!id.stdout().strip().equals("0")) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, what + " must run as root: sudo banger " + what);
        }
    }

    /** The owner's passwd entry (name, x, uid, gid, ...), from NSS on the host, from ROOT/etc/passwd elsewhere. */
    private String[] account(Target t, String owner) {
        if (owner == null || owner.isBlank()) {
            throw BangerException.badRequest("say whose banger this is: --owner USER (under sudo it defaults to $SUDO_USER)");
        }
        String line;
        if (t.isHost()) {
            CommandResult r = runner.runAllowingFailure(Command.of("getent", "passwd", owner));
            line = r.ok() ? r.stdout().strip() : null;
        } else {
            line = readLines(t.local(Path.of("/etc/passwd"))).stream().filter(l -> l.startsWith(owner + ":")).findFirst().orElse(null);
        }
        if (line == null || line.split(":").length < 4) {
            throw BangerException.notFound("no user '" + owner + "' on " + (t.isHost() ? "this host" : t.root()) + " (--owner)");
        }
        return line.split(":");
    }

    /** Whether {@code name} is in the {@code passwd} or {@code group} database: NSS on the host, ROOT/etc/ elsewhere. */
    private boolean hasEntry(Target t, String database, String name) {
        return t.isHost() ? runner.runAllowingFailure(Command.of("getent", database, name)).ok()
                : readLines(t.local(Path.of("/etc", database))).stream().anyMatch(l -> l.startsWith(name + ":"));
    }

    private void ensureGroup(Target t) {
        if (!hasEntry(t, "group", GROUP)) {
            runner.run(withPrefix(t, "groupadd", "--system", GROUP));
            say.accept("created group " + GROUP);
        }
    }

    /**
     * The unprivileged system account VMMs run as ({@code vmm_user}): no login shell, no home, a group
     * of its own. Returns its name when this install created it; nothing for {@code root} (the opt-out)
     * or an account that exists.
     */
    private Optional<String> ensureVmmUser(Target t, String user) {
        if (user.equals("root") || hasEntry(t, "passwd", user)) {
            return Optional.empty();
        }
        runner.run(withPrefix(t, "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                "/usr/sbin/nologin", "--user-group", "--comment", "banger VMMs (QEMU -runas, Firecracker jailer)", user));
        say.accept("created system user " + user + " (QEMU and the Firecracker jailer drop to it)");
        return Optional.of(user);
    }

    /** The user and the group useradd --user-group made (userdel leaves it where login.defs has no USERGROUPS_ENAB). */
    private void removeVmmUser(Target t, String user) {
        if (hasEntry(t, "passwd", user)) {
            runner.run(withPrefix(t, "userdel", user));
        }
        if (hasEntry(t, "group", user)) {
            runner.run(withPrefix(t, "groupdel", user));
        }
        say.accept("removed system user " + user);
    }

    private void addToGroup(Target t, String owner) {
        runner.run(withPrefix(t, "usermod", "-a", "-G", GROUP, owner));
        say.accept(owner + " is in group " + GROUP + " (log in again for it to apply to running sessions)");
    }

    /** shadow's tools edit ROOT/etc with --prefix (no chroot, so no binaries are needed there). */
    private static Command withPrefix(Target t, String tool, String... args) {
        List<String> argv = new ArrayList<>(List.of(tool));
        if (!t.isHost()) {
            argv.addAll(List.of("--prefix", t.root().toString()));
        }
        argv.addAll(List.of(args));
        return Command.of(argv.toArray(String[]::new));
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    // ---- status, restart, uninstall -------------------------------------------------------

    /** Prints what is installed and whether it runs; true when the unit is active and bangerd answers. */
    public boolean status(Target t, Path socket) {
        return status(t, socket, false);
    }

    /** The same, as one JSON object with {@code json} (the keys of the lines, "ok" for the verdict). */
    public boolean status(Target t, Path socket, boolean json) {
        Optional<InstallRecord> r = InstallRecord.read(t.root());
        Map<String, Object> facts = new LinkedHashMap<>();
        boolean ok = false;
        if (r.isEmpty()) {
            facts.put("installed", false);
            if (!json) {
                say.accept("banger is not installed on this host (no " + t.local(InstallRecord.PATH) + "); `sudo banger system install`");
            }
        } else {
            InstallRecord rec = r.get();
            boolean pid1 = t.isHost() && systemd.isPid1();
            String unit = pid1 ? systemd.activeState(UNIT) : "unknown: " + Systemd.NOT_PID1;
            boolean answers = DaemonPing.answers(socket);
            ok = pid1 && unit.equals("active") && answers;
            facts.put("installed", true);
            facts.put("version", rec.version());
            facts.put("commit", rec.commit());
            facts.put("built", rec.built());
            facts.put("owner", rec.owner());
            facts.put("uid", rec.uid());
            facts.put("prefix", rec.prefix().toString());
            facts.put("installed_at", rec.installedAt());
            facts.put("unit", UNIT);
            facts.put("unit_state", unit);
            facts.put("socket", socket.toString());
            facts.put("daemon_answers", answers);
            if (!json) {
                say.accept("installed  banger " + rec.version() + " (commit " + rec.commit() + ", built " + rec.built() + ")");
                say.accept("owner      " + rec.owner() + " (uid " + rec.uid() + ")");
                say.accept("prefix     " + rec.prefix() + "   installed " + rec.installedAt());
                say.accept("unit       " + UNIT + " " + unit);
                say.accept("daemon     " + (answers ? "answers on " + socket : "does not answer on " + socket));
            }
        }
        if (json) {
            facts.put("ok", ok);
            say.accept(Json.writePretty(facts));
        }
        return ok;
    }

    public void restart(Target t, Path socket) throws InterruptedException {
        requireInstalled(t);
        requireRoot("system restart");
        if (!systemd.isPid1()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, Systemd.NOT_PID1);
        }
        systemd.restart(UNIT);
        awaitPing(socket);
    }

    /**
     * Stops and disables the unit, then removes every file and link the record lists (the
     * directories only when empty); {@code purge} also removes the state, cache and runtime dirs.
     * The group, its members and the users' own files stay; so does the VMM user without {@code purge},
     * or when install found it there.
     */
    public void uninstall(Target t, Layout layout, boolean purge) {
        InstallRecord rec = requireInstalled(t);
        if (t.isHost()) {
            requireRoot("system uninstall");
            if (systemd.isPid1()) {
                systemd.disableNow(UNIT);
            }
        }
        List<Path> files = new ArrayList<>(rec.files());
        java.util.Collections.reverse(files); // contents before the directories that hold them
        try {
            if (purge) { // first, so the directories install made around them empty out and go too
                for (Path dir : List.of(layout.stateDir(), layout.cacheDir(), layout.runtimeDir())) {
                    FileTrees.delete(t.local(dir));
                }
                if (rec.createdVmmUser() != null) { // its files were VM disks under the state dir, gone now
                    removeVmmUser(t, rec.createdVmmUser());
                }
            }
            for (Path f : files) {
                Path local = t.local(f);
                // the tree, or the link to the current release and the releases update keeps side by side
                if (f.equals(rec.prefix().resolve("lib/banger")) || f.equals(rec.prefix().resolve("lib/banger-releases"))) {
                    FileTrees.delete(local);
                } else if (Files.isDirectory(local, LinkOption.NOFOLLOW_LINKS)) {
                    try (var entries = Files.list(local)) {
                        if (entries.findAny().isEmpty()) {
                            Files.delete(local);
                        }
                    }
                } else {
                    Files.deleteIfExists(local);
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "system uninstall stopped at " + e.getMessage()
                    + "; run it again to remove the rest", e);
        }
        say.accept("removed banger " + rec.version() + (purge ? " and its state (" + layout.stateDir() + ", " + layout.cacheDir() + ")"
                : "; kept its state in " + layout.stateDir() + " (--purge removes it)"));
    }

    private static InstallRecord requireInstalled(Target t) {
        return InstallRecord.read(t.root()).orElseThrow(() -> BangerException.notFound(
                "banger is not installed on this host (no " + t.local(InstallRecord.PATH) + ")"));
    }

    /**
     * What an install changed, so a failure can put everything back: directories and links it
     * made, files it wrote (with their previous content), the previous tree moved aside.
     */
    private static final class Journal {
        private interface Undo {
            void run() throws IOException;
        }

        private final Target t;
        private final List<Path> made = new ArrayList<>();
        private final List<Undo> undo = new ArrayList<>();
        private Path previousTree;

        Journal(Target t) {
            this.t = t;
        }

        List<Path> made() {
            return made;
        }

        void directories(Path... dirs) throws IOException {
            for (Path dir : dirs) {
                List<Path> missing = new ArrayList<>();
                for (Path p = dir; p != null && !Files.exists(t.local(p)); p = p.getParent()) {
                    missing.addFirst(p);
                }
                for (Path p : missing) {
                    Files.createDirectory(t.local(p));
                    Files.setPosixFilePermissions(t.local(p), PosixFilePermissions.fromString("rwxr-xr-x"));
                    made.add(p);
                    undo.add(() -> Files.deleteIfExists(t.local(p)));
                }
            }
        }

        /** Copies {@code source} to {@code dest} through a staging dir; a previous tree is kept aside until commit. */
        void tree(Path source, Path dest) throws IOException {
            Path local = t.local(dest);
            Path staging = local.resolveSibling(local.getFileName() + ".installing");
            FileTrees.delete(staging);
            undo.add(() -> FileTrees.delete(staging));
            copyTree(source, staging);
            if (Files.exists(local)) {
                previousTree = local.resolveSibling(local.getFileName() + ".previous");
                FileTrees.delete(previousTree);
                Files.move(local, previousTree, StandardCopyOption.ATOMIC_MOVE);
                Path aside = previousTree;
                undo.add(() -> Files.move(aside, local, StandardCopyOption.ATOMIC_MOVE));
            }
            Files.move(staging, local, StandardCopyOption.ATOMIC_MOVE);
            undo.add(() -> FileTrees.delete(local));
            made.add(dest);
        }

        void link(Path link, Path target) throws IOException {
            Path local = t.local(link);
            Optional<Path> before = Files.isSymbolicLink(local) ? Optional.of(Files.readSymbolicLink(local)) : Optional.empty();
            if (Files.exists(local, LinkOption.NOFOLLOW_LINKS) && before.isEmpty()) {
                throw new IOException(local + " exists and is not a link banger made; move it away first");
            }
            Files.deleteIfExists(local);
            Files.createSymbolicLink(local, target);
            made.add(link);
            undo.add(() -> {
                Files.deleteIfExists(local);
                if (before.isPresent()) {
                    Files.createSymbolicLink(local, before.get());
                }
            });
        }

        void file(Path file, String content) throws IOException {
            Path local = t.local(file);
            directories(file.getParent());
            byte[] before = Files.exists(local) ? Files.readAllBytes(local) : null;
            Path tmp = local.resolveSibling(local.getFileName() + ".tmp");
            Files.writeString(tmp, content);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            made.add(file);
            undo.add(() -> {
                if (before == null) {
                    Files.deleteIfExists(local);
                } else {
                    Files.write(local, before);
                }
            });
        }

        void commit() throws IOException {
            if (previousTree != null) {
                FileTrees.delete(previousTree);
            }
        }

        void rollBack() {
            for (int i = undo.size() - 1; i >= 0; i--) {
                try {
                    undo.get(i).run();
                } catch (IOException e) {
                    // keep undoing the rest; what stays is named by the next install's error
                }
            }
        }

        private static void copyTree(Path from, Path to) throws IOException {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Path d = to.resolve(from.relativize(dir).toString());
                    Files.createDirectories(d);
                    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path dest = to.resolve(from.relativize(file).toString());
                    Files.copy(file, dest, StandardCopyOption.REPLACE_EXISTING);
                    // Root-owned and not writable by others, whatever the build tree's modes were.
                    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString(
                            Files.isExecutable(file) ? "rwxr-xr-x" : "rw-r--r--"));
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }
}
