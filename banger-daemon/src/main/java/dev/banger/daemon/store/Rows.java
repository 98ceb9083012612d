package dev.banger.daemon.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Small JDBC helpers shared by the table classes. */
final class Rows {

    private Rows() {
    }

    static void bind(PreparedStatement s, Object... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            Object v = values[i];
            switch (v) {
                case null -> s.setObject(i + 1, null);
                case Boolean b -> s.setInt(i + 1, b ? 1 : 0);
                case Instant t -> s.setString(i + 1, t.toString());
                default -> s.setObject(i + 1, v);
            }
        }
    }

    /** The first column of every row {@code sql} selects with {@code args}. */
    static List<String> firstColumn(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bind(s, args);
            List<String> values = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    values.add(r.getString(1));
                }
            }
            return values;
        }
    }

    static Instant instant(ResultSet r, String column) throws SQLException {
        String s = r.getString(column);
        return s == null ? null : Instant.parse(s);
    }
}
