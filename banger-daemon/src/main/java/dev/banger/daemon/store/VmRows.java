package dev.banger.daemon.store;

import dev.banger.core.model.VmInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The {@code vms} table. Only what outlives a boot is here; a running VM's pid and tap live in handles.json. */
public final class VmRows {

    /** template_id: the snapshot a clone was made from when it is a warm-start template. */
    private static final String SELECT = "SELECT v.*, i.name AS image_name, t.id AS template_id FROM vms v "
            + "LEFT JOIN images i ON i.id = v.image_id "
            + "LEFT JOIN snapshots t ON t.id = v.from_snapshot AND t.template_key IS NOT NULL ";

    private final Store store;

    VmRows(Store store) {
        this.store = store;
    }

    /** Inserts inside the caller's transaction, so the reservation's name and address checks share it. */
    public static void insert(Connection c, VmInfo v) throws SQLException {
        insert(c, v, false);
    }

    /**
     * As above; {@code hidden}: a warm-start template's VM, which no listing shows and no name or
     * id prefix a user gives finds (its name and address still count as taken).
     */
    public static void insert(Connection c, VmInfo v, boolean hidden) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO vms (id, name, image_id, state, vcpu, memory_mib, "
                + "disk_bytes, guest_ip, mac, nat, isolate, last_error, created_at, updated_at, from_snapshot, hidden) "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            Rows.bind(s, v.id(), v.name(), v.imageId(), v.state(), v.vcpu(), v.memoryMib(), v.diskBytes(), v.guestIp(),
                    v.mac(), v.nat(), v.isolate(), v.lastError(), v.createdAt(), v.updatedAt(), v.fromSnapshot(), hidden);
            s.executeUpdate();
        }
    }

    public static Optional<VmInfo> byName(Connection c, String name) throws SQLException {
        return one(c, SELECT + "WHERE v.name = ?", name);
    }

    /** The names of the VMs cloned from snapshot {@code snapshotId}. */
    public static List<String> clonesOf(Connection c, String snapshotId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT name FROM vms WHERE from_snapshot = ? ORDER BY name")) {
            s.setString(1, snapshotId);
            List<String> names = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    names.add(r.getString(1));
                }
            }
            return names;
        }
    }

    /** Every guest address in use, whatever the VM's state: an address stays with its VM until delete. */
    public static List<String> guestIps(Connection c) throws SQLException {
        return Rows.firstColumn(c, "SELECT guest_ip FROM vms WHERE guest_ip IS NOT NULL");
    }

    /** A VM by exact name, exact id, or a unique id prefix. */
    public Optional<VmInfo> find(String ref) {
        List<VmInfo> vms = matching(ref);
        return vms.size() == 1 ? Optional.of(vms.getFirst()) : Optional.empty();
    }

    /**
     * The VMs {@code ref} may name: the one with that exact name, else every VM whose id starts
     * with it. The prefix is compared literally (not LIKE, where {@code %} and {@code _} are
     * wildcards: {@code vm delete %} would name every VM); an empty one names none.
     */
    public List<VmInfo> matching(String ref) {
        if (ref == null || ref.isEmpty()) {
            return List.of();
        }
        return store.read(c -> {
            Optional<VmInfo> v = one(c, SELECT + "WHERE v.name = ? AND v.hidden = 0", ref);
            if (v.isPresent()) {
                return List.of(v.get());
            }
            return all(c, SELECT + "WHERE substr(v.id, 1, length(?1)) = ?1 AND v.hidden = 0 ORDER BY v.id", ref);
        });
    }

    /** The VMs users see: all but warm-start templates' hidden VMs. */
    public List<VmInfo> list() {
        return store.read(c -> all(c, SELECT + "WHERE v.hidden = 0 ORDER BY v.created_at, v.name"));
    }

    /** Every VM row, hidden ones included (reconcile tears down what any of them left). */
    public List<VmInfo> listAll() {
        return store.read(c -> all(c, SELECT + "ORDER BY v.created_at, v.name"));
    }

    /** The ids of the hidden VMs (warm-start templates' VMs). */
    public Set<String> hiddenIds() {
        return Set.copyOf(store.read(c -> Rows.firstColumn(c, "SELECT id FROM vms WHERE hidden = 1")));
    }

    /** Any row by exact id, hidden ones included. */
    public Optional<VmInfo> byId(String id) {
        return store.read(c -> one(c, SELECT + "WHERE v.id = ?", id));
    }

    public void setState(String id, String state, String lastError, Instant now) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE vms SET state = ?, last_error = ?, updated_at = ? WHERE id = ?")) {
                Rows.bind(s, state, lastError, now, id);
                return s.executeUpdate();
            }
        });
    }

    public void setSpec(String id, int vcpu, int memoryMib, long diskBytes, Instant now) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE vms SET vcpu = ?, memory_mib = ?, disk_bytes = ?, updated_at = ? WHERE id = ?")) {
                Rows.bind(s, vcpu, memoryMib, diskBytes, now, id);
                return s.executeUpdate();
            }
        });
    }

    public void setNat(String id, boolean nat, Instant now) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE vms SET nat = ?, updated_at = ? WHERE id = ?")) {
                Rows.bind(s, nat, now, id);
                return s.executeUpdate();
            }
        });
    }

    public void setIsolate(String id, boolean isolate, Instant now) {
        store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE vms SET isolate = ?, updated_at = ? WHERE id = ?")) {
                Rows.bind(s, isolate, now, id);
                return s.executeUpdate();
            }
        });
    }

    public boolean delete(String id) {
        return store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM vms WHERE id = ?")) {
                s.setString(1, id);
                return s.executeUpdate() == 1;
            }
        });
    }

    private static Optional<VmInfo> one(Connection c, String sql, String arg) throws SQLException {
        List<VmInfo> rows = all(c, sql, arg);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    private static List<VmInfo> all(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            List<VmInfo> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new VmInfo(r.getString("id"), r.getString("name"), r.getString("state"), r.getString("image_id"),
                            r.getString("image_name"), r.getInt("vcpu"), r.getInt("memory_mib"), r.getLong("disk_bytes"),
                            r.getString("guest_ip"), r.getString("mac"), r.getInt("nat") == 1, r.getInt("isolate") == 1,
                            r.getString("last_error"),
                            Rows.instant(r, "created_at"), Rows.instant(r, "updated_at"), null, r.getString("from_snapshot"),
                            r.getString("template_id")));
                }
            }
            return out;
        }
    }
}
