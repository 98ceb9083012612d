package dev.banger.daemon.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The {@code vm_forwards} table: each VM's published ports; deleting the VM deletes them (ON DELETE CASCADE). */
public final class ForwardRows {

    /** One row: {@code hostIp:hostPort/proto} of the host to {@code guestPort} of VM {@code vmId}. */
    public record Forward(String vmId, String proto, String hostIp, int hostPort, int guestPort) {
    }

    private final Store store;

    ForwardRows(Store store) {
        this.store = store;
    }

    /** The VM's forwards, by protocol and host port. */
    public List<Forward> of(String vmId) {
        return store.read(c -> all(c, "SELECT * FROM vm_forwards WHERE vm_id = ? ORDER BY proto, host_port", vmId));
    }

    /** The forward holding {@code proto}/{@code hostPort}, whichever VM it belongs to. */
    public Optional<Forward> holding(String proto, int hostPort) {
        return store.read(c -> all(c, "SELECT * FROM vm_forwards WHERE proto = ? AND host_port = ?", proto, hostPort))
                .stream().findFirst();
    }

    /** Adds rows in one transaction: all of them or, when one's port is held already, none. */
    public void insert(List<Forward> forwards) {
        store.write(c -> {
            for (Forward f : forwards) {
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO vm_forwards (vm_id, proto, host_ip, host_port, guest_port) VALUES (?,?,?,?,?)")) {
                    Rows.bind(s, f.vmId(), f.proto(), f.hostIp(), f.hostPort(), f.guestPort());
                    s.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Removes the VM's forward of {@code proto}/{@code hostPort}; whether there was one. */
    public boolean delete(String vmId, String proto, int hostPort) {
        return store.write(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM vm_forwards WHERE vm_id = ? AND proto = ? AND host_port = ?")) {
                Rows.bind(s, vmId, proto, hostPort);
                return s.executeUpdate() == 1;
            }
        });
    }

    private static List<Forward> all(java.sql.Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            Rows.bind(s, args);
            List<Forward> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Forward(r.getString("vm_id"), r.getString("proto"), r.getString("host_ip"), r.getInt("host_port"),
                            r.getInt("guest_port")));
                }
            }
            return out;
        }
    }
}
