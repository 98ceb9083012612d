package dev.banger.daemon.store;

import dev.banger.core.model.OperationInfo;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.NoSpaceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The daemon's SQLite state file. Every connection runs in WAL mode with a busy timeout and
 * foreign keys on. Writes go through one connection under {@link #writeLock}, so they are
 * serialised inside the process and never meet SQLITE_BUSY from each other; reads use pooled
 * connections of their own and run concurrently with writes (WAL readers see the last commit).
 */
public final class Store implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Store.class);
    private static final int BUSY_TIMEOUT_MS = 5_000;
    private static final int MAX_IDLE_READERS = 4;

    /** Guards {@link #writer}: one write transaction at a time. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Path file;
    private final Connection writer;
    private final ConcurrentLinkedQueue<Connection> idleReaders = new ConcurrentLinkedQueue<>();
    private final ImageRows images = new ImageRows(this);
    private final KernelRows kernels = new KernelRows(this);
    private final VmRows vms = new VmRows(this);
    private final SnapshotRows snapshots = new SnapshotRows(this);
    private final ForwardRows forwards = new ForwardRows(this);
    private volatile boolean closed;

    @FunctionalInterface
    public interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    private Store(Path file, Connection writer) {
        this.file = file;
        this.writer = writer;
    }

    /** Opens (creating if needed) and migrates the store; a bad file gives a clear {@link StoreException}. */
    public static Store open(Path file) {
        Connection c = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            createPrivate(file);
            c = connect(file, false);
            checkIntegrity(file, c);
            migrate(file, c);
            return new Store(file, c);
        } catch (Exception e) {
            closeQuietly(c);
            throw e instanceof StoreException se ? se : explain(file, e);
        }
    }

    /** SQLite gives its -wal and -shm files the database's mode: a database born 0600 keeps all three private. */
    private static void createPrivate(Path file) throws java.io.IOException {
        try {
            Files.createFile(file, FileModes.privateFile());
        } catch (java.nio.file.FileAlreadyExistsException existing) {
            // Opened before: its mode is the daemon's start-up business (StateDirs).
        }
    }

    public Path file() {
        return file;
    }

    public ImageRows images() {
        return images;
    }

    public KernelRows kernels() {
        return kernels;
    }

    public VmRows vms() {
        return vms;
    }

    public SnapshotRows snapshots() {
        return snapshots;
    }

    public ForwardRows forwards() {
        return forwards;
    }

    /** Runs {@code work} in a write transaction; commits on return, rolls back on throw. */
    public <T> T write(SqlWork<T> work) {
        writeLock.lock();
        try {
            ensureOpen();
            writer.setAutoCommit(false);
            try {
                T result = work.apply(writer);
                writer.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                writer.rollback();
                throw e;
            } finally {
                writer.setAutoCommit(true);
            }
        } catch (SQLException e) {
            // Rolled back, no row changed. A disk that fills at commit makes SQLite roll back by itself,
            // and the driver may then report only "no transaction is active": the free space tells.
            if (e instanceof SQLiteException full && full.getResultCode() == SQLiteErrorCode.SQLITE_FULL) {
                throw new NoSpaceException(file, "writing banger's state database", e);
            }
            if (!(e instanceof SQLiteException refused && refused.getResultCode().name().startsWith("SQLITE_CONSTRAINT"))) {
                NoSpaceException.throwIfFull(e, file, "writing banger's state database");
            }
            throw new StoreException("state database " + file + ": " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs {@code work} on a reader connection; never waits for writers. */
    public <T> T read(SqlWork<T> work) {
        ensureOpen();
        Connection c = idleReaders.poll();
        try {
            if (c == null) {
                c = connect(file, true);
            }
            T result = work.apply(c);
            if (!closed && idleReaders.size() < MAX_IDLE_READERS) {
                idleReaders.add(c);
                c = null;
                if (closed) {
                    drainReaders(); // close() ran meanwhile: do not leak the connection just returned
                }
            }
            return result;
        } catch (SQLException e) {
            throw new StoreException("state database " + file + ": " + e.getMessage(), e);
        } finally {
            closeQuietly(c);
        }
    }

    // ---- operations ----

    /** Finished operations kept in the history (running ones are always kept). */
    public static final int OPERATIONS_KEPT = 1000;

    public void insertOperation(OperationInfo op) {
        write(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO operations (id, method, state, peer, started_at, finished_at, error) VALUES (?,?,?,?,?,?,?)")) {
                s.setString(1, op.id());
                s.setString(2, op.method());
                s.setString(3, op.state());
                s.setString(4, op.peer());
                s.setString(5, op.startedAt().toString());
                s.setString(6, op.finishedAt() == null ? null : op.finishedAt().toString());
                s.setString(7, op.error());
                s.executeUpdate();
            }
            // Any group member can add rows (one per state-changing request, even a refused one):
            // the history keeps the newest OPERATIONS_KEPT, as many as daemon.operations.list can show.
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM operations WHERE state <> 'running' AND rowid <= (SELECT max(rowid) FROM operations) - ?")) {
                s.setInt(1, OPERATIONS_KEPT);
                return s.executeUpdate();
            }
        });
    }

    public void finishOperation(OperationInfo op) {
        write(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE operations SET state = ?, finished_at = ?, error = ? WHERE id = ?")) {
                s.setString(1, op.state());
                s.setString(2, op.finishedAt() == null ? null : op.finishedAt().toString());
                s.setString(3, op.error());
                s.setString(4, op.id());
                return s.executeUpdate();
            }
        });
    }

    /** Newest first. */
    public List<OperationInfo> listOperations(int limit) {
        return read(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT id, method, state, peer, started_at, finished_at, error FROM operations "
                            + "ORDER BY started_at DESC, rowid DESC LIMIT ?")) {
                s.setInt(1, limit);
                List<OperationInfo> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        String finished = r.getString(6);
                        out.add(new OperationInfo(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                                Instant.parse(r.getString(5)), finished == null ? null : Instant.parse(finished),
                                r.getString(7)));
                    }
                }
                return out;
            }
        });
    }

    /** Marks operations a previous daemon left running as failed; returns how many. */
    public int failInterruptedOperations(Instant now) {
        return write(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE operations SET state = 'failed', finished_at = ?, error = 'daemon stopped before the operation finished' "
                            + "WHERE state = 'running'")) {
                s.setString(1, now.toString());
                return s.executeUpdate();
            }
        });
    }

    /** The schema version this store is at. */
    public int schemaVersion() {
        return read(Store::userVersion);
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            closed = true;
            closeQuietly(writer);
            drainReaders();
        } finally {
            writeLock.unlock();
        }
    }

    private void drainReaders() {
        Connection c;
        while ((c = idleReaders.poll()) != null) {
            closeQuietly(c);
        }
    }

    // ---- opening and migrating ----

    private void ensureOpen() {
        if (closed) {
            throw new StoreException("state database " + file + " is closed", null);
        }
    }

    static Connection connect(Path file, boolean readOnly) throws SQLException {
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setBusyTimeout(BUSY_TIMEOUT_MS);
        cfg.enforceForeignKeys(true);
        cfg.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        if (readOnly) {
            cfg.setReadOnly(true); // reads cannot write around the write lock
        } else {
            cfg.setJournalMode(SQLiteConfig.JournalMode.WAL);
        }
        return cfg.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    }

    private static void checkIntegrity(Path file, Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA quick_check")) {
            String first = r.next() ? r.getString(1) : "no answer";
            if (!"ok".equals(first)) {
                throw new StoreException("state database " + file + " is damaged (" + first
                        + "); move it aside to start with an empty store, or restore a backup", null);
            }
        }
    }

    private static void migrate(Path file, Connection c) throws SQLException {
        int current = userVersion(c);
        int latest = Migrations.latestVersion();
        if (current > latest) {
            throw new StoreException("state database " + file + " has schema version " + current
                    + " but this bangerd knows only up to " + latest + "; run a newer banger", null);
        }
        for (Migration m : Migrations.ALL) {
            if (m.version() <= current) {
                continue;
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String sql : m.statements()) {
                    s.execute(sql);
                }
                s.execute("PRAGMA user_version = " + m.version());
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw new StoreException("state database " + file + ": migration " + m.version() + " ("
                        + m.description() + ") failed: " + e.getMessage(), e);
            } finally {
                c.setAutoCommit(true);
            }
            log.info("state database migrated to schema {} ({})", m.version(), m.description());
        }
    }

    private static int userVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA user_version")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }

    private static StoreException explain(Path file, Exception e) {
        if (e instanceof SQLiteException se && (se.getResultCode() == SQLiteErrorCode.SQLITE_NOTADB
                || se.getResultCode() == SQLiteErrorCode.SQLITE_CORRUPT)) {
            return new StoreException("state database " + file + " is not a valid SQLite database (corrupt or "
                    + "overwritten); move it aside to start with an empty store, or restore a backup", e);
        }
        return new StoreException("cannot open state database " + file + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Closing is best effort; the file stays consistent either way.
            }
        }
    }
}
