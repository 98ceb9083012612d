package dev.banger.daemon.store;

import dev.banger.core.model.SnapshotInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code snapshots} table; VM names come from a join, so a renamed VM shows its name now, and a
 * deleted one the name it had.
 */
public final class SnapshotRows {

    private static final String SELECT = "SELECT s.*, coalesce(v.name, s.vm_name) AS vm_name_now, v.id IS NULL AS vm_deleted "
            + "FROM snapshots s LEFT JOIN vms v ON v.id = s.vm_id ";

    /** A retired template's key: never a hex digest, so no create matches it. */
    private static final String RETIRED = "retired:";

    private final Store store;

    SnapshotRows(Store store) {
        this.store = store;
    }

    /** Inserts; a taken name is an SQLException (UNIQUE), which the caller checked for first. */
    public void insert(SnapshotInfo i) {
        insert(i, null);
    }

    /** As above; {@code templateKey} non-null: a warm-start template, the one of that key (UNIQUE). */
    public void insert(SnapshotInfo i, String templateKey) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO snapshots (id, name, vm_id, vm_name, image_id, vcpu, "
                    + "memory_mib, disk_bytes, hypervisor, state_format, state_bytes, size_bytes, pause_millis, created_at, template_key) "
                    + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                Rows.bind(s, i.id(), i.name(), i.vmId(), i.vmName(), i.imageId(), i.vcpu(), i.memoryMib(), i.diskBytes(), i.hypervisor(),
                        i.stateFormat(), i.stateBytes(), i.sizeBytes(), i.pauseMillis(), i.createdAt(), templateKey);
                return s.executeUpdate();
            }
        });
    }

    /** Every snapshot, or those of one VM ({@code vmId} non-null), oldest first; warm-start templates only when asked. */
    public List<SnapshotInfo> list(String vmId, boolean templates) {
        return store.read(c -> {
            String where = templates ? "WHERE 1 = 1 " : "WHERE s.template_key IS NULL ";
            try (PreparedStatement s = c.prepareStatement(SELECT + where + (vmId == null ? "" : "AND s.vm_id = ? ")
                    + "ORDER BY s.created_at, s.name")) {
                if (vmId != null) {
                    s.setString(1, vmId);
                }
                return all(s);
            }
        });
    }

    /** Every snapshot of one VM, template or not (its delete removes them all). */
    public List<SnapshotInfo> list(String vmId) {
        return list(vmId, true);
    }

    /** The warm-start template of this key. */
    public Optional<SnapshotInfo> template(String key) {
        return store.read(c -> one(c, SELECT + "WHERE s.template_key = ?", key));
    }

    /**
     * Marks a template retired: no key matches it any more (never restored again), and
     * {@link #retired} finds it for deletion once no VM runs over its files.
     */
    public void retireTemplate(String id) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE snapshots SET template_key = ? WHERE id = ?")) {
                Rows.bind(s, RETIRED + id, id);
                return s.executeUpdate();
            }
        });
    }

    /** The snapshot of this id when it is a retired template. */
    public Optional<SnapshotInfo> retired(String id) {
        return store.read(c -> one(c, SELECT + "WHERE s.id = ? AND s.template_key = '" + RETIRED + "' || s.id", id));
    }

    /** The warm-start templates of an image, whatever their key. */
    public List<SnapshotInfo> templatesOf(String imageId) {
        return store.read(c -> {
            try (PreparedStatement s = c.prepareStatement(SELECT + "WHERE s.template_key IS NOT NULL AND s.image_id = ? "
                    + "ORDER BY s.created_at")) {
                s.setString(1, imageId);
                return all(s);
            }
        });
    }

    /** By exact name, else exact id. */
    public Optional<SnapshotInfo> find(String ref) {
        return store.read(c -> {
            Optional<SnapshotInfo> byName = one(c, SELECT + "WHERE s.name = ?", ref);
            return byName.isPresent() ? byName : one(c, SELECT + "WHERE s.id = ?", ref);
        });
    }

    /**
     * Deletes the row unless a VM was cloned from it; returns the names of those clones (then nothing
     * was deleted). One transaction, so a clone being reserved and this delete cannot both win.
     */
    public List<String> deleteUnlessCloned(String id) {
        return store.write(c -> {
            List<String> clones = VmRows.clonesOf(c, id);
            if (clones.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM snapshots WHERE id = ?")) {
                    s.setString(1, id);
                    s.executeUpdate();
                }
            }
            return clones;
        });
    }

    /** True when the row exists, inside the caller's transaction (a clone's reservation checks its snapshot is still there). */
    public static boolean exists(Connection c, String id) throws SQLException {
        return one(c, SELECT + "WHERE s.id = ?", id).isPresent();
    }

    private static Optional<SnapshotInfo> one(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, arg);
            List<SnapshotInfo> rows = all(s);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
        }
    }

    private static List<SnapshotInfo> all(PreparedStatement s) throws SQLException {
        List<SnapshotInfo> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new SnapshotInfo(r.getString("id"), r.getString("name"), r.getString("vm_id"), r.getString("vm_name_now"),
                        r.getString("image_id"), r.getInt("vcpu"), r.getInt("memory_mib"), r.getLong("disk_bytes"),
                        r.getString("hypervisor"), r.getString("state_format"), r.getLong("state_bytes"), r.getLong("size_bytes"),
                        r.getLong("pause_millis"), Rows.instant(r, "created_at"), r.getInt("vm_deleted") == 1));
            }
        }
        return out;
    }
}
