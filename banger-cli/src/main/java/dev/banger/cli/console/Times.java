package dev.banger.cli.console;

import java.time.Duration;
import java.time.Instant;

/** A table's timestamps: "3 minutes ago" for a person at a terminal, ISO-8601 for anything that parses output. */
public final class Times {

    private Times() {
    }

    /** {@code at} as the table in {@code terminal} should show it; "-" when there is none. */
    public static String cell(Terminal terminal, Instant at, Instant now) {
        if (at == null) {
            return "-";
        }
        return terminal.ttyOut() ? ago(Duration.between(at, now)) : at.toString();
    }

    /** The largest whole unit, like docker's: "3 minutes ago", "less than a second ago" below one second. */
    static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 1) {
            return "less than a second ago";
        }
        long[] sizes = {86400L * 365, 86400L * 30, 86400L * 7, 86400, 3600, 60, 1};
        String[] units = {"year", "month", "week", "day", "hour", "minute", "second"};
        for (int i = 0; i < sizes.length; i++) {
            long n = s / sizes[i];
            if (n >= 1) {
                return n + " " + units[i] + (n == 1 ? "" : "s") + " ago";
            }
        }
        throw new AssertionError(s);
    }
}
