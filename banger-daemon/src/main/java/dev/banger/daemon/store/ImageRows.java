package dev.banger.daemon.store;

import dev.banger.core.model.ImageInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code images} table. Kernel names come from a join so callers never see a dangling id. */
public final class ImageRows {

    private static final String SELECT = "SELECT i.*, k.name AS kernel_name FROM images i LEFT JOIN kernels k ON k.id = i.kernel_id ";

    private final Store store;

    ImageRows(Store store) {
        this.store = store;
    }

    /** Inserts, inside the caller's write transaction (publication needs the name check in the same one). */
    public static void insert(Connection c, ImageInfo i) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO images (id, name, source, digest, distro, arch, dir, "
                + "rootfs_path, work_seed_path, kernel_id, managed, size_bytes, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            Rows.bind(s, i.id(), i.name(), i.source(), i.digest(), i.distro(), i.arch(), i.dir(), i.rootfsPath(),
                    i.workSeedPath(), i.kernelId(), i.managed(), i.sizeBytes(), i.createdAt());
            s.executeUpdate();
        }
    }

    /** Turns an unmanaged row managed (image promote): its files now live in {@code i.dir()}. */
    public static void markManaged(Connection c, ImageInfo i) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE images SET managed = 1, dir = ?, rootfs_path = ?, "
                + "work_seed_path = ?, size_bytes = ? WHERE id = ? AND managed = 0")) {
            Rows.bind(s, i.dir(), i.rootfsPath(), i.workSeedPath(), i.sizeBytes(), i.id());
            if (s.executeUpdate() != 1) {
                throw new SQLException("image " + i.id() + " is not an unmanaged image");
            }
        }
    }

    public static Optional<ImageInfo> byName(Connection c, String name) throws SQLException {
        return one(c, SELECT + "WHERE i.name = ?", name);
    }

    public Optional<ImageInfo> find(String nameOrId) {
        return store.read(c -> {
            Optional<ImageInfo> byName = byName(c, nameOrId);
            return byName.isPresent() ? byName : one(c, SELECT + "WHERE i.id = ?", nameOrId);
        });
    }

    public List<ImageInfo> list() {
        return store.read(c -> {
            try (PreparedStatement s = c.prepareStatement(SELECT + "ORDER BY i.name")) {
                return all(s);
            }
        });
    }

    public static int delete(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM images WHERE id = ?")) {
            s.setString(1, id);
            return s.executeUpdate();
        }
    }

    /** VMs still built on the image: it cannot be deleted while any exist. */
    public static List<String> vmsUsing(Connection c, String imageId) throws SQLException {
        return Rows.firstColumn(c, "SELECT name FROM vms WHERE image_id = ? ORDER BY name", imageId);
    }

    /** Snapshots of VMs of the image (their root disks are backed by its rootfs), which outlive those VMs. */
    public static List<String> snapshotsUsing(Connection c, String imageId) throws SQLException {
        return Rows.firstColumn(c, "SELECT name FROM snapshots WHERE image_id = ? ORDER BY name", imageId);
    }

    private static Optional<ImageInfo> one(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            List<ImageInfo> rows = all(s);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
        }
    }

    private static List<ImageInfo> all(PreparedStatement s) throws SQLException {
        List<ImageInfo> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new ImageInfo(r.getString("id"), r.getString("name"), r.getString("source"), r.getString("digest"),
                        r.getString("distro"), r.getString("arch"), r.getString("dir"), r.getString("rootfs_path"),
                        r.getString("work_seed_path"), r.getString("kernel_id"), r.getString("kernel_name"),
                        r.getInt("managed") == 1, r.getLong("size_bytes"), Rows.instant(r, "created_at")));
            }
        }
        return out;
    }
}
