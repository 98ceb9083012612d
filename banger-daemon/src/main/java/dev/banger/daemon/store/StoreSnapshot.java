package dev.banger.daemon.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * What {@code banger doctor} reads from the store, opened read-only: its schema version against
 * this build's, the images (with or without a work-seed) and the kernels. Never migrates, never
 * creates a file: a store without a {@code -wal} file is opened {@code immutable} (nothing can
 * be missing from it, and SQLite then makes no {@code -wal}/{@code -shm} beside it); one with a
 * {@code -wal} (a running or crashed daemon) is opened {@code mode=ro}, which reads through it.
 */
public record StoreSnapshot(int schemaVersion, int latestVersion, List<ImageSummary> images, List<String> kernels) {

    /** An image as doctor needs it: does it boot (kernel) and does its /root start with content (work-seed)? */
    public record ImageSummary(String name, boolean hasWorkSeed, String kernelName) {
    }

    public StoreSnapshot {
        images = List.copyOf(images);
        kernels = List.copyOf(kernels);
    }

    /** The schema version this build migrates stores to. */
    public static int expectedVersion() {
        return Migrations.latestVersion();
    }

    /** Reads {@code file}; an SQLException when it is no SQLite database or cannot be opened. */
    public static StoreSnapshot read(Path file) throws SQLException {
        Path abs = file.toAbsolutePath();
        boolean wal = Files.exists(Path.of(abs + "-wal"));
        SQLiteConfig cfg = new SQLiteConfig();
        cfg.setReadOnly(true);
        cfg.setBusyTimeout(5_000);
        String url = "jdbc:sqlite:file:" + abs + (wal ? "?mode=ro" : "?immutable=1");
        try (Connection c = cfg.createConnection(url); Statement s = c.createStatement()) {
            int version;
            try (ResultSet r = s.executeQuery("PRAGMA user_version")) {
                version = r.next() ? r.getInt(1) : 0;
            }
            if (version == 0 || version > Migrations.latestVersion()) {
                return new StoreSnapshot(version, Migrations.latestVersion(), List.of(), List.of());
            }
            List<ImageSummary> images = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT i.name, i.work_seed_path, k.name FROM images i "
                    + "LEFT JOIN kernels k ON k.id = i.kernel_id ORDER BY i.name")) {
                while (r.next()) {
                    images.add(new ImageSummary(r.getString(1), r.getString(2) != null, r.getString(3)));
                }
            }
            List<String> kernels = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT name FROM kernels ORDER BY name")) {
                while (r.next()) {
                    kernels.add(r.getString(1));
                }
            }
            return new StoreSnapshot(version, Migrations.latestVersion(), images, kernels);
        }
    }
}
