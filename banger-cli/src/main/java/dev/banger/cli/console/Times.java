package dev.banger.cli.console;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** A table's timestamps: "3 minutes ago" for a person at a terminal, ISO-8601 for anything that parses. */
public final class Times {

    private Times() {
    }

    /** {@code iso} as the table in {@code terminal} should show it; "-" when there is none. */
    public static String cell(Terminal terminal, Object iso, Instant now) {
        if (iso == null) {
            return "-";
        }
        if (!terminal.ttyOut()) {
            return iso.toString();
        }
        try {
            return ago(Duration.between(Instant.parse(iso.toString()), now));
        } catch (DateTimeParseException e) {
            return iso.toString();
        }
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
