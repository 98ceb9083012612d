package dev.banger.daemon.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

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

    static Instant instant(ResultSet r, String column) throws SQLException {
        String s = r.getString(column);
        return s == null ? null : Instant.parse(s);
    }
}
