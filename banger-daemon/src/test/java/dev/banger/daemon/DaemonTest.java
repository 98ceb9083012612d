package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.OperationInfo;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.store.StoreException;
import dev.banger.daemon.workspace.WorkspaceService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonTest {

    @TempDir
    Path root;

    private Daemon daemon;

    @AfterEach
    void close() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void openBuildsEveryServiceAndTheDirectoryTree() {
        Config config = Config.under(root);

        daemon = Daemon.open(config);

        assertThat(daemon.net).isNotNull();
        assertThat(daemon.img).isNotNull();
        assertThat(daemon.ws).isNotNull();
        assertThat(daemon.vm).isNotNull();
        assertThat(daemon.ops).isNotNull();
        Layout layout = Layout.of(config);
        for (Path dir : List.of(layout.stateDir(), layout.cacheDir(), layout.imagesDir(), layout.kernelsDir(),
                layout.vmsDir(), layout.stagingDir(), layout.runtimeDir())) {
            assertThat(dir).isDirectory();
        }
        assertThat(layout.database()).isRegularFile();
        assertThat(daemon.socketPath()).isEqualTo(config.socketPath());
    }

    @Test
    void startTightensTheDirectoriesAndFilesAnOlderBangerLeftOpen() throws IOException {
        Layout layout = Layout.of(Config.under(root));
        for (Path dir : List.of(layout.stateDir(), layout.cacheDir(), layout.imagesDir(), layout.kernelsDir(), layout.vmsDir(),
                layout.stagingDir())) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (Path file : List.of(layout.database(), layout.stateDir().resolve("bangerd.lock"), layout.daemonLog())) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        }

        daemon = Daemon.open(Config.under(root));

        boolean group = dev.banger.daemon.fs.FileModes.bangerGroup().isPresent();
        assertThat(mode(layout.stateDir())).as("members' CLI reaches ssh/ through it").isEqualTo(group ? "rwxr-x---" : "rwx------");
        for (Path dir : List.of(layout.cacheDir(), layout.imagesDir(), layout.kernelsDir(), layout.vmsDir(), layout.stagingDir())) {
            assertThat(mode(dir)).as(dir.toString()).isEqualTo("rwx------");
        }
        for (Path file : List.of(layout.database(), layout.stateDir().resolve("bangerd.lock"), layout.daemonLog())) {
            assertThat(mode(file)).as(file.toString()).isEqualTo("rw-------");
        }
    }

    @Test
    void aNewStoreIsPrivate() throws IOException {
        Layout layout = Layout.of(Config.under(root));

        daemon = Daemon.open(Config.under(root));

        assertThat(mode(layout.database())).isEqualTo("rw-------");
        daemon.store.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (x)")); // -wal and -shm exist now
        for (String suffix : List.of("-wal", "-shm")) {
            Path f = layout.database().resolveSibling(layout.database().getFileName() + suffix);
            assertThat(mode(f)).as("SQLite gives %s the database's mode", f).isEqualTo("rw-------");
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theRuntimeDirIsReachableByGroupMembers() throws IOException {
        daemon = Daemon.open(Config.under(root));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Config.under(root).runtimeDir())))
                .isEqualTo("rwxr-xr-x");
    }

    @Test
    void theSocketAppearsListeningWithItsFinalModeAndNothingBesideIt() throws Exception {
        Config config = Config.under(root);
        daemon = Daemon.open(config);
        daemon.serve();

        Path socket = config.socketPath();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        try (var client = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            assertThat(client.isConnected()).as("bound under another name, renamed into place: it listens").isTrue();
        }
        try (var names = Files.list(socket.getParent())) {
            assertThat(names.map(p -> p.getFileName().toString())).as("the bind's temporary name is gone")
                    .noneMatch(n -> n.endsWith(".new"));
        }
    }

    @Test
    void wireServicesTwiceChangesNothing() {
        daemon = Daemon.open(Config.under(root));
        var before = List.of(daemon.net, daemon.img, daemon.ws, daemon.vm, daemon.ops, daemon.clock, daemon.log);

        Daemon.wireServices(daemon);

        var after = List.of(daemon.net, daemon.img, daemon.ws, daemon.vm, daemon.ops, daemon.clock, daemon.log);
        for (int i = 0; i < before.size(); i++) {
            assertThat(after.get(i)).isSameAs(before.get(i));
        }
    }

    @Test
    void preInstalledServicesAreKept() {
        daemon = infrastructureOnly();
        ImageService images = new ImageService(daemon.store, daemon.runner, daemon.layout, daemon.config, java.time.Clock.systemUTC());
        HostNetwork network = new HostNetwork(daemon.config, daemon.runner);
        WorkspaceService workspaces = new WorkspaceService(daemon.runner, java.time.Clock.systemUTC());
        daemon.img = images;
        daemon.net = network;
        daemon.ws = workspaces;

        Daemon.wireServices(daemon);

        assertThat(daemon.img).isSameAs(images);
        assertThat(daemon.net).isSameAs(network);
        assertThat(daemon.ws).isSameAs(workspaces);
        assertThat(daemon.ops).isNotNull();
    }

    @Test
    void eachPreInstalledServiceIsKeptOnItsOwn() {
        daemon = infrastructureOnly();
        ImageService images = new ImageService(daemon.store, daemon.runner, daemon.layout, daemon.config, java.time.Clock.systemUTC());
        daemon.img = images;

        Daemon.wireServices(daemon);

        assertThat(daemon.img).isSameAs(images);
        assertThat(daemon.net).isNotNull();
        assertThat(daemon.ws).isNotNull();
        assertThat(daemon.vm).isNotNull();
    }

    @Test
    void closingADaemonThatWasNeverOpenedIsHarmless() {
        Daemon d = new Daemon();
        d.config = Config.under(root);

        assertThatCode(() -> {
            d.close();
            d.close();
        }).doesNotThrowAnyException();
        assertThatCode(() -> new Daemon().close()).doesNotThrowAnyException();
    }

    @Test
    void aCorruptDatabaseFailsOpenWithAClearMessage() throws IOException {
        Config config = Config.under(root);
        Path db = Layout.of(config).database();
        Files.createDirectories(db.getParent());
        byte[] junk = new byte[8192];
        new Random(1).nextBytes(junk);
        Files.write(db, junk);

        assertThatThrownBy(() -> Daemon.open(config))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(db.toString())
                .hasMessageContaining("not a valid SQLite database")
                .hasMessageContaining("move it aside");

        // Moving the file aside, as the message says, lets the daemon start.
        Files.move(db, db.resolveSibling("banger.db.broken"));
        daemon = Daemon.open(config);
        assertThat(daemon.store.schemaVersion()).isPositive();
    }

    @Test
    void openThenCloseTwiceIsFineAndReleasesTheStore() {
        Daemon d = Daemon.open(Config.under(root));
        Store store = d.store;

        d.close();
        assertThatCode(d::close).doesNotThrowAnyException();

        assertThatThrownBy(store::schemaVersion).isInstanceOf(StoreException.class).hasMessageContaining("closed");
    }

    @Test
    void operationsCutShortByAPreviousDaemonAreMarkedFailedOnOpen() {
        Config config = Config.under(root);
        Daemon first = Daemon.open(config);
        Instant started = Instant.parse("2026-03-01T10:00:00Z");
        first.store.insertOperation(new OperationInfo("0123456789ab", "shutdown", OperationInfo.RUNNING,
                "uid 0 pid 1", started, null, null));
        first.close();

        daemon = Daemon.open(config);

        assertThat(daemon.ops.list(10)).singleElement().satisfies(op -> {
            assertThat(op.id()).isEqualTo("0123456789ab");
            assertThat(op.state()).isEqualTo(OperationInfo.FAILED);
            assertThat(op.error()).isEqualTo("daemon stopped before the operation finished");
            assertThat(op.finishedAt()).isAfter(started);
        });
    }

    /** What open() sets up before wiring, so a test can pre-install services first. */
    private Daemon infrastructureOnly() {
        Daemon d = new Daemon();
        d.config = Config.under(root);
        d.layout = Layout.of(d.config);
        d.runner = new CommandRunner();
        d.store = Store.open(d.layout.database());
        return d;
    }

    @Test
    void aSecondDaemonOnTheSameStateDirIsRefusedAndTheFirstKeepsWorking() throws Exception {
        Daemon first = Daemon.open(Config.under(root));
        try {
            java.nio.file.Path pulling = java.nio.file.Files.createDirectories(first.layout.stagingDir().resolve("pull-live"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.open(Config.under(root)))
                    .isInstanceOf(java.io.UncheckedIOException.class)
                    .hasMessageStartingWith("another bangerd is using state_dir " + root.resolve("state"));
            assertThat(pulling).as("the refused daemon touched nothing").exists();
        } finally {
            first.close();
        }
    }

    @Test
    void leftoversOfADaemonThatDiedMidPullAreRemovedAtStart() throws Exception {
        Daemon first = Daemon.open(Config.under(root));
        java.nio.file.Path stale = java.nio.file.Files.createDirectories(first.layout.stagingDir().resolve("pull-crashed/tree/etc"));
        Path halfKernel = Files.createDirectories(first.layout.kernelsDir().resolve("cut-short"));
        Path halfImage = Files.createDirectories(first.layout.imagesDir().resolve("00112233445566ff"));
        Path part = Files.createDirectories(first.layout.downloadCacheDir().resolve("blobs/sha256")).resolve("f".repeat(64) + ".part");
        Files.writeString(part, "half a layer");
        first.close();
        Daemon second = Daemon.open(Config.under(root));
        try {
            assertThat(second.layout.stagingDir().resolve("pull-crashed")).doesNotExist();
            assertThat(stale).doesNotExist();
            assertThat(halfKernel).as("a kernel dir whose publish never committed").doesNotExist();
            assertThat(halfImage).as("an image dir whose publish never committed").doesNotExist();
            assertThat(part).doesNotExist();
        } finally {
            second.close();
        }
    }
}
