package dev.banger.daemon.store;

import dev.banger.core.model.KernelInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code kernels} table. */
public final class KernelRows {

    private final Store store;

    KernelRows(Store store) {
        this.store = store;
    }

    public static void insert(Connection c, KernelInfo k) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO kernels (id, name, version, distro, arch, dir, "
                + "vmlinuz_path, vmlinux_path, initrd_path, modules_path, managed, source, sha256, created_at) "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            Rows.bind(s, k.id(), k.name(), k.version(), k.distro(), k.arch(), k.dir(), k.vmlinuzPath(), k.vmlinuxPath(),
                    k.initrdPath(), k.modulesPath(), k.managed(), k.source(), k.sha256(), k.createdAt());
            s.executeUpdate();
        }
    }

    public static Optional<KernelInfo> byName(Connection c, String name) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM kernels WHERE name = ?")) {
            s.setString(1, name);
            List<KernelInfo> rows = all(s);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
        }
    }

    public Optional<KernelInfo> find(String name) {
        return store.read(c -> byName(c, name));
    }

    public List<KernelInfo> list() {
        return store.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT * FROM kernels ORDER BY name")) {
                return all(s);
            }
        });
    }

    public static int delete(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM kernels WHERE id = ?")) {
            s.setString(1, id);
            return s.executeUpdate();
        }
    }

    /** Images that boot the kernel: it cannot be deleted while any exist. */
    public static List<String> imagesUsing(Connection c, String kernelId) throws SQLException {
        return Rows.firstColumn(c, "SELECT name FROM images WHERE kernel_id = ? ORDER BY name", kernelId);
    }

    private static List<KernelInfo> all(PreparedStatement s) throws SQLException {
        List<KernelInfo> out = new ArrayList<>();
        try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new KernelInfo(r.getString("id"), r.getString("name"), r.getString("version"), r.getString("distro"),
                        r.getString("arch"), r.getString("dir"), r.getString("vmlinuz_path"), r.getString("vmlinux_path"),
                        r.getString("initrd_path"), r.getString("modules_path"), r.getInt("managed") == 1,
                        r.getString("source"), r.getString("sha256"), Rows.instant(r, "created_at")));
            }
        }
        return out;
    }
}
