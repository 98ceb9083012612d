package dev.banger.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.OperationInfo;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.testing.SmallFilesystem;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StoreTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    @TempDir
    Path dir;

    private final List<Store> opened = new ArrayList<>();
    /** Own threads: the common pool may have a single worker on a small machine. */
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void closeStores() {
        pool.shutdownNow();
        opened.forEach(Store::close);
    }

    private Store open(Path file) {
        Store s = Store.open(file);
        opened.add(s);
        return s;
    }

    private Path db() {
        return dir.resolve("state").resolve("banger.db");
    }

    // ---- connection settings and schema ----

    @Test
    void aNewStoreUsesWalForeignKeysABusyTimeoutAndNormalSyncOnEveryConnection() {
        Store store = open(db());

        for (Store.SqlWork<List<String>> pragmas : List.<Store.SqlWork<List<String>>>of(StoreTest::pragmas)) {
            assertThat(store.read(pragmas)).containsExactly("wal", "1", "5000", "1");
            assertThat(store.write(pragmas)).containsExactly("wal", "1", "5000", "1");
        }
        assertThat(Files.exists(db())).isTrue();
    }

    private static List<String> pragmas(Connection c) throws SQLException {
        return List.of(scalar(c, "PRAGMA journal_mode"), scalar(c, "PRAGMA foreign_keys"), scalar(c, "PRAGMA busy_timeout"),
                scalar(c, "PRAGMA synchronous")); // 1 = NORMAL
    }

    @Test
    void aNewStoreIsAtTheLatestSchemaVersion() {
        Store store = open(db());

        assertThat(store.schemaVersion()).isEqualTo(Migrations.latestVersion()).isEqualTo(Migrations.ALL.size());
        assertThat(store.file()).isEqualTo(db());
    }

    @Test
    void foreignKeysAreEnforced() {
        Store store = open(db());

        assertThatThrownBy(() -> store.write(c -> c.createStatement().executeUpdate(
                "INSERT INTO images (id, name, rootfs_path, kernel_id, managed, created_at) "
                        + "VALUES ('i1', 'img', '/r', 'no-such-kernel', 1, 'now')")))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("FOREIGN KEY");
        assertThat(count(store, "images")).isZero();
    }

    @Test
    void dataSurvivesClosingAndReopening() {
        Store first = Store.open(db());
        first.insertOperation(op("op1", T0));
        first.close();

        Store second = open(db());

        assertThat(second.listOperations(10)).extracting(OperationInfo::id).containsExactly("op1");
        assertThat(second.schemaVersion()).isEqualTo(Migrations.latestVersion());
    }

    // ---- migrations ----

    @Test
    void anOlderStoreIsMigratedAndKeepsItsRows() throws SQLException {
        try (Connection c = raw(db())) {
            applyMigration1(c);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO kernels (id, name, dir, managed, created_at) VALUES ('k1', 'generic', '/k', 1, 't')");
                s.execute("INSERT INTO images (id, name, rootfs_path, kernel_id, managed, created_at) "
                        + "VALUES ('i1', 'debian', '/i/rootfs.ext4', 'k1', 1, 't')");
                s.execute("INSERT INTO vms (id, name, image_id, state, vcpu, memory_mib, disk_bytes, created_at, updated_at) "
                        + "VALUES ('v1', 'devbox', 'i1', 'stopped', 2, 1024, 8589934592, 't', 't')");
            }
        }

        Store store = open(db());

        assertThat(store.schemaVersion()).isEqualTo(Migrations.latestVersion());
        assertThat(query(store, "SELECT name FROM kernels WHERE id = 'k1'")).isEqualTo("generic");
        assertThat(query(store, "SELECT kernel_id FROM images WHERE id = 'i1'")).isEqualTo("k1");
        assertThat(query(store, "SELECT name || ':' || state || ':' || disk_bytes || ':' || nat || ':' || isolate FROM vms WHERE id = 'v1'"))
                .as("a VM from before isolation existed is isolated").isEqualTo("devbox:stopped:8589934592:0:1");
        assertThatThrownBy(() -> store.write(c -> c.createStatement().executeUpdate("UPDATE vms SET isolate = 2 WHERE id = 'v1'")))
                .isInstanceOf(StoreException.class).hasMessageContaining("CHECK");

        store.write(c -> c.createStatement().executeUpdate("UPDATE vms SET nat = 1 WHERE id = 'v1'"));
        assertThat(query(store, "SELECT nat FROM vms WHERE id = 'v1'")).isEqualTo("1");
        assertThatThrownBy(() -> store.write(c -> c.createStatement().executeUpdate("UPDATE vms SET nat = 2 WHERE id = 'v1'")))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("CHECK");

        store.insertOperation(op("op1", T0));
        assertThat(store.listOperations(5)).extracting(OperationInfo::id).containsExactly("op1");
        // The image is still protected by the VM that uses it.
        assertThatThrownBy(() -> store.write(c -> c.createStatement().executeUpdate("DELETE FROM images WHERE id = 'i1'")))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void aFailedMigrationLeavesTheStoreAtItsOldVersion() throws SQLException {
        try (Connection c = raw(db())) {
            applyMigration1(c);
            try (Statement s = c.createStatement()) {
                // Makes migration 2's last statement (ALTER TABLE vms ADD COLUMN nat) fail.
                s.execute("ALTER TABLE vms ADD COLUMN nat INTEGER");
            }
        }

        assertThatThrownBy(() -> open(db()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(db().toString())
                .hasMessageContaining("migration 2 (operations log and per-VM NAT flag) failed");

        try (Connection c = raw(db())) {
            assertThat(scalar(c, "PRAGMA user_version")).isEqualTo("1");
            assertThat(scalar(c, "SELECT count(*) FROM sqlite_master WHERE name = 'operations'"))
                    .as("migration 2's earlier statements were rolled back").isEqualTo("0");
        }
    }

    @Test
    void aStoreFromANewerBangerdIsRefusedNamingBothVersions() throws SQLException {
        try (Connection c = raw(db()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE future (x)");
            s.execute("PRAGMA user_version = 99");
        }

        assertThatThrownBy(() -> open(db()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(db().toString())
                .hasMessageContaining("schema version 99")
                .hasMessageContaining("only up to " + Migrations.latestVersion());

        try (Connection c = raw(db())) {
            assertThat(scalar(c, "PRAGMA user_version")).as("the newer store is left alone").isEqualTo("99");
        }
    }

    // ---- damaged files ----

    @Test
    void randomBytesAreNotADatabase() throws IOException {
        Files.createDirectories(db().getParent());
        byte[] junk = new byte[16384];
        new Random(42).nextBytes(junk);
        Files.write(db(), junk);

        assertThatThrownBy(() -> open(db()))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("state database " + db() + " is not a valid SQLite database")
                .hasMessageContaining("move it aside")
                .hasMessageNotContaining("SQLITE_")
                .hasMessageNotContaining("Exception");
    }

    @Test
    void aTextFileIsNotADatabase() throws IOException {
        Files.createDirectories(db().getParent());
        Files.writeString(db(), "state_dir = \"/var/lib/banger\"\n".repeat(200));

        assertThatThrownBy(() -> open(db()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("is not a valid SQLite database");
    }

    @Test
    void aGarbledDatabaseIsReportedAsDamaged() throws IOException {
        Path file = storeWithManyRows();
        byte[] junk = new byte[8192];
        new Random(7).nextBytes(junk);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(4096); // keep the header, garble the pages behind it
            f.write(junk);
        }

        assertThatThrownBy(() -> open(file))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("state database " + file)
                .hasMessageFindingMatch("is damaged|is not a valid SQLite database")
                .hasMessageContaining("move it aside");
    }

    @Test
    void aTruncatedDatabaseIsReportedAsDamaged() throws IOException {
        Path file = storeWithManyRows();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 3);
        }

        assertThatThrownBy(() -> open(file))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("state database " + file)
                .hasMessageFindingMatch("is damaged|is not a valid SQLite database")
                .hasMessageContaining("move it aside");
    }

    @Test
    void aDirectoryWhereTheFileBelongsCannotBeOpened() throws IOException {
        Files.createDirectories(db());

        assertThatThrownBy(() -> open(db()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(db().toString());
    }

    private Path storeWithManyRows() {
        Path file = dir.resolve("big.db");
        Store s = Store.open(file);
        for (int i = 0; i < 400; i++) {
            s.insertOperation(new OperationInfo("op" + i, "vm.create", OperationInfo.FAILED, "uid 0 pid 1",
                    T0.plusSeconds(i), T0.plusSeconds(i + 1), "x".repeat(200)));
        }
        s.close();
        assertThat(file.resolveSibling("big.db-wal")).as("closing checkpoints the WAL").satisfiesAnyOf(
                p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyFile());
        return file;
    }

    @Test
    void theOperationsHistoryKeepsTheNewestThousandFinishedAndEveryRunningOne() {
        Store store = open(db());
        store.insertOperation(op("long-running", T0));
        for (int i = 0; i < Store.OPERATIONS_KEPT + 50; i++) {
            store.insertOperation(new OperationInfo("op" + i, "vm.delete", OperationInfo.FAILED, "uid 1000 pid 42",
                    T0.plusSeconds(i + 1), T0.plusSeconds(i + 1), "not found"));
        }

        List<OperationInfo> kept = store.listOperations(Integer.MAX_VALUE);

        assertThat(kept).hasSize(Store.OPERATIONS_KEPT + 1);
        assertThat(kept).extracting(OperationInfo::id).contains("long-running", "op" + (Store.OPERATIONS_KEPT + 49), "op50")
                .doesNotContain("op49", "op0");
    }

    // ---- transactions ----

    @Test
    void aFailingWriteRollsBackEverythingItDid() {
        Store store = open(db());

        assertThatThrownBy(() -> store.write(c -> {
            insert(c, "op1");
            throw new IllegalStateException("handler bug");
        })).isInstanceOf(IllegalStateException.class).hasMessage("handler bug");

        assertThatThrownBy(() -> store.write(c -> {
            insert(c, "op2");
            insert(c, "op2"); // primary key violation
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining(db().toString());

        assertThat(store.listOperations(10)).isEmpty();
        // The writer is usable again afterwards.
        store.write(c -> insert(c, "op3"));
        assertThat(store.listOperations(10)).extracting(OperationInfo::id).containsExactly("op3");
    }

    @Test
    void writesAreSerialised() throws Exception {
        Store store = open(db());
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicBoolean secondInside = new AtomicBoolean();

        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> store.write(c -> {
            insert(c, "first");
            firstInside.countDown();
            await(releaseFirst);
            return null;
        }), pool);
        assertThat(firstInside.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> store.write(c -> {
            secondInside.set(true);
            return insert(c, "second");
        }), pool);

        Thread.sleep(300);
        assertThat(secondInside).as("second write waits for the first").isFalse();
        releaseFirst.countDown();
        first.get(5, TimeUnit.SECONDS);
        second.get(5, TimeUnit.SECONDS);

        assertThat(store.listOperations(10)).extracting(OperationInfo::id).containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void aReadIsNotBlockedByAnOpenWriteAndSeesOnlyCommittedRows() throws Exception {
        Store store = open(db());
        store.insertOperation(op("committed", T0));
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);

        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> store.write(c -> {
            insert(c, "uncommitted");
            writing.countDown();
            await(finish);
            return null;
        }), pool);
        try {
            assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue();

            long started = System.nanoTime();
            List<OperationInfo> seen = CompletableFuture.supplyAsync(() -> store.listOperations(10), pool).get(3, TimeUnit.SECONDS);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(seen).extracting(OperationInfo::id).containsExactly("committed");
        } finally {
            finish.countDown();
        }
        writer.get(5, TimeUnit.SECONDS);
        assertThat(store.listOperations(10)).extracting(OperationInfo::id).contains("committed", "uncommitted");
    }

    @Test
    void aClosedStoreRefusesWork() {
        Store store = Store.open(db());
        store.close();
        store.close();

        assertThatThrownBy(() -> store.read(c -> 1)).isInstanceOf(StoreException.class).hasMessageContaining("is closed");
        assertThatThrownBy(() -> store.write(c -> 1)).isInstanceOf(StoreException.class).hasMessageContaining("is closed");
    }

    // ---- operations ----

    @Test
    void operationsAreListedNewestFirstWithTheirOutcome() {
        Store store = open(db());
        store.insertOperation(op("a", T0));
        store.insertOperation(op("c", T0.plusSeconds(20)));
        store.insertOperation(op("b", T0.plusSeconds(10)));
        store.finishOperation(op("a", T0).finish(OperationInfo.SUCCEEDED, T0.plusSeconds(1), null));
        store.finishOperation(op("b", T0.plusSeconds(10)).finish(OperationInfo.FAILED, T0.plusSeconds(11), "qemu-img exited 1"));

        List<OperationInfo> all = store.listOperations(10);

        assertThat(all).extracting(OperationInfo::id).containsExactly("c", "b", "a");
        assertThat(all.get(0)).isEqualTo(op("c", T0.plusSeconds(20)));
        assertThat(all.get(1)).isEqualTo(new OperationInfo("b", "shutdown", OperationInfo.FAILED, "uid 1000 pid 42",
                T0.plusSeconds(10), T0.plusSeconds(11), "qemu-img exited 1"));
        assertThat(all.get(2).state()).isEqualTo(OperationInfo.SUCCEEDED);
        assertThat(all.get(2).finishedAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(all.get(2).error()).isNull();
        assertThat(store.listOperations(2)).extracting(OperationInfo::id).containsExactly("c", "b");
    }

    @Test
    void operationsStartedAtTheSameInstantListTheLaterInsertFirst() {
        Store store = open(db());
        store.insertOperation(op("x", T0));
        store.insertOperation(op("y", T0));

        assertThat(store.listOperations(10)).extracting(OperationInfo::id).containsExactly("y", "x");
    }

    @Test
    void failInterruptedOperationsFailsOnlyTheRunningOnes() {
        Store store = open(db());
        store.insertOperation(op("done", T0));
        store.finishOperation(op("done", T0).finish(OperationInfo.SUCCEEDED, T0.plusSeconds(1), null));
        store.insertOperation(op("left1", T0.plusSeconds(2)));
        store.insertOperation(op("left2", T0.plusSeconds(3)));
        Instant restart = T0.plusSeconds(60);

        assertThat(store.failInterruptedOperations(restart)).isEqualTo(2);
        assertThat(store.failInterruptedOperations(restart.plusSeconds(1))).isZero();

        List<OperationInfo> all = store.listOperations(10);
        assertThat(all).extracting(OperationInfo::id).containsExactly("left2", "left1", "done");
        assertThat(all.subList(0, 2)).allSatisfy(o -> {
            assertThat(o.state()).isEqualTo(OperationInfo.FAILED);
            assertThat(o.finishedAt()).isEqualTo(restart);
            assertThat(o.error()).isEqualTo("daemon stopped before the operation finished");
        });
        assertThat(all.get(2).state()).isEqualTo(OperationInfo.SUCCEEDED);
        assertThat(all.get(2).finishedAt()).isEqualTo(T0.plusSeconds(1));
    }

    // ---- VM references ----

    @Test
    void sqlWildcardsInAnIdPrefixMatchNothing() {
        Store store = open(db());
        addVm(store, "only", "ab12cd34ef560001");

        for (String wildcard : List.of("%", "_", "%%", "a%", "ab1_", "a_12", "\\", "")) {
            assertThat(store.vms().matching(wildcard)).as("'%s' is a literal prefix", wildcard).isEmpty();
            assertThat(store.vms().find(wildcard)).as("'%s' is a literal prefix", wildcard).isEmpty();
        }
        assertThat(store.vms().find("ab12")).map(v -> v.name()).contains("only");
        assertThat(store.vms().find("ab12cd34ef560001")).map(v -> v.name()).contains("only");
        assertThat(store.vms().find("only")).map(v -> v.id()).contains("ab12cd34ef560001");
    }

    @Test
    void aPrefixSharedByTwoVmsMatchesBothAndFindsNeither() {
        Store store = open(db());
        addVm(store, "one", "ab12cd34ef560001");
        addVm(store, "two", "ab12cd34ef560002");

        assertThat(store.vms().matching("ab12")).map(v -> v.name()).containsExactly("one", "two");
        assertThat(store.vms().find("ab12")).isEmpty();
        assertThat(store.vms().find("ab12cd34ef560002")).map(v -> v.name()).contains("two");
        assertThat(store.vms().matching("two")).as("an exact name wins over id prefixes").map(v -> v.id())
                .containsExactly("ab12cd34ef560002");
    }

    @Test
    void anImageNamesTheVmsBuiltOnItInOrder() {
        Store store = open(db());
        addVm(store, "zeta", "ab12cd34ef560001");
        addVm(store, "alpha", "ab12cd34ef560002");

        List<String> users = store.read(c -> ImageRows.vmsUsing(c, "img0000000000000"));
        List<String> none = store.read(c -> ImageRows.vmsUsing(c, "nosuchimage00000"));
        List<String> addresses = store.read(VmRows::guestIps);

        assertThat(users).containsExactly("alpha", "zeta");
        assertThat(none).isEmpty();
        assertThat(addresses).as("no VM has an address yet").isEmpty();
    }

    // ---- warm-start templates ----

    @Test
    void aTemplateBuildsHiddenVmIsInNoListingNorFoundByAUsersReferenceButHoldsItsName() {
        Store store = open(db());
        addVm(store, "user", "ab12cd34ef560001");
        store.write(c -> {
            VmRows.insert(c, new VmInfo("ab12cd34ef560002", "tpl-0123456789", VmInfo.CREATED, "img0000000000000", "img", 1, 256,
                    1L << 30, null, null, false, true, null, T0, T0, null), true);
            return null;
        });

        assertThat(store.vms().list()).extracting(VmInfo::name).containsExactly("user");
        assertThat(store.vms().listAll()).extracting(VmInfo::name).containsExactlyInAnyOrder("user", "tpl-0123456789");
        assertThat(store.vms().matching("tpl-0123456789")).as("by name").isEmpty();
        assertThat(store.vms().matching("ab12")).as("by id prefix").extracting(VmInfo::name).containsExactly("user");
        assertThat(store.vms().hiddenIds()).containsExactly("ab12cd34ef560002");
        Optional<VmInfo> byName = store.read(c -> VmRows.byName(c, "tpl-0123456789"));
        assertThat(byName).as("its name is taken").isPresent();
    }

    @Test
    void aTemplateIsFoundByItsKeyHiddenFromTheSnapshotListAndNeverMatchedOnceRetired() {
        Store store = open(db());
        addVm(store, "user", "ab12cd34ef560001");
        store.snapshots().insert(snapshot("s0000000000000001", "mine"));
        store.snapshots().insert(snapshot("s0000000000000002", "template-img-abc"), "abc");
        store.write(c -> {
            VmRows.insert(c, new VmInfo("ab12cd34ef560003", "warm", VmInfo.CREATED, "img0000000000000", "img", 1, 256, 1L << 30,
                    null, null, false, true, null, T0, T0, null, "s0000000000000002"));
            return null;
        });

        assertThat(store.snapshots().list(null, false)).extracting(SnapshotInfo::name).containsExactly("mine");
        assertThat(store.snapshots().list(null, true)).extracting(SnapshotInfo::name).containsExactly("mine", "template-img-abc");
        assertThat(store.snapshots().template("abc")).map(SnapshotInfo::id).contains("s0000000000000002");
        assertThat(store.snapshots().templatesOf("img0000000000000")).extracting(SnapshotInfo::id).containsExactly("s0000000000000002");
        assertThat(store.vms().find("warm")).map(VmInfo::templateId).as("a clone of a template").contains("s0000000000000002");
        assertThat(store.vms().find("user")).map(VmInfo::templateId).as("a booted VM").isEmpty();

        assertThat(store.snapshots().deleteUnlessCloned("s0000000000000002")).as("a VM runs over it").containsExactly("warm");
        store.snapshots().retireTemplate("s0000000000000002");
        assertThat(store.snapshots().template("abc")).as("never matched again").isEmpty();
        assertThat(store.snapshots().retired("s0000000000000002")).isPresent();
        assertThat(store.snapshots().retired("s0000000000000001")).as("a user's snapshot is never retired").isEmpty();
        assertThat(store.snapshots().list(null, false)).extracting(SnapshotInfo::name).containsExactly("mine");
    }

    // ---- helpers ----

    private static SnapshotInfo snapshot(String id, String name) {
        return new SnapshotInfo(id, name, "ab12cd34ef560001", "user", "img0000000000000", 1, 256, 1L << 30, "qemu", "qemu 7.2.0", 10, 10,
                5, T0, false);
    }

    private static void addVm(Store store, String name, String id) {
        store.write(c -> {
            if (ImageRows.byName(c, "img").isEmpty()) {
                ImageRows.insert(c, new ImageInfo("img0000000000000", "img", "test", null, null, "amd64", null, "/x/rootfs.ext4",
                        null, null, null, false, 1, T0));
            }
            VmRows.insert(c, new VmInfo(id, name, VmInfo.CREATED, "img0000000000000", "img", 1, 256, 1L << 30, null, null,
                    false, true, null, T0, T0, null));
            return null;
        });
    }

    private static OperationInfo op(String id, Instant started) {
        return new OperationInfo(id, "shutdown", OperationInfo.RUNNING, "uid 1000 pid 42", started, null, null);
    }

    private static int insert(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO operations (id, method, state, started_at) VALUES (?, 'shutdown', 'running', ?)")) {
            s.setString(1, id);
            s.setString(2, T0.toString());
            return s.executeUpdate();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long count(Store store, String table) {
        return Long.parseLong(store.read(c -> scalar(c, "SELECT count(*) FROM " + table)));
    }

    private static String query(Store store, String sql) {
        return store.read(c -> scalar(c, sql));
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    /** A plain sqlite-jdbc connection, as an older bangerd (or a person with sqlite3) would have. */
    private static Connection raw(Path file) throws SQLException {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new SQLException(e);
        }
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    private static void applyMigration1(Connection c) throws SQLException {
        Migration first = Migrations.ALL.get(0);
        assertThat(first.version()).isEqualTo(1);
        try (Statement s = c.createStatement()) {
            for (String sql : first.statements()) {
                s.execute(sql);
            }
            s.execute("PRAGMA user_version = 1");
        }
    }

    @Test
    void aWriteIntoAFullDiskIsNoSpaceNamingTheDatabaseAndLosesNoRow() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mounting a loop filesystem needs root");
        try (SmallFilesystem disk = SmallFilesystem.mount(dir, 32)) {
            Store store = open(disk.root().resolve("banger.db"));
            store.write(c -> c.createStatement().executeUpdate("CREATE TABLE notes(body BLOB)"));
            store.write(c -> c.createStatement().executeUpdate("INSERT INTO notes VALUES ('kept')"));
            disk.fill(64 << 10);
            try {
                assertThatThrownBy(() -> store.write(c -> c.createStatement().executeUpdate("INSERT INTO notes VALUES (randomblob(4194304))")))
                        .isInstanceOfSatisfying(NoSpaceException.class, e -> assertThat(e.getMessage())
                                .startsWith("no space left on " + disk.root().resolve("banger.db")).contains("state database"));
            } finally {
                disk.free();
            }
            List<String> kept = store.read(c -> Rows.firstColumn(c, "SELECT quote(body) FROM notes"));
            assertThat(kept).as("the failed write rolled back")
                    .containsExactly("'kept'");
            store.write(c -> c.createStatement().executeUpdate("INSERT INTO notes VALUES (randomblob(4194304))"));
            List<String> integrity = store.read(c -> Rows.firstColumn(c, "PRAGMA integrity_check"));
            assertThat(integrity).containsExactly("ok");
            store.close();
        }
    }
}
