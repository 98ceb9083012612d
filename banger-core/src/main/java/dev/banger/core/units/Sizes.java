package dev.banger.core.units;

import dev.banger.core.rpc.BangerException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human sizes as users type them: {@code 512M}, {@code 4G}, {@code 1T}, plain bytes. Powers of 1024. */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})([KMGT]?)");

    private Sizes() {
    }

    public static long parse(String what, String text) {
        Matcher m = text == null ? null : SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (m == null || !m.matches()) {
            throw BangerException.invalidArgument(what + " '" + text + "' is not a size: use a number with an optional K, M, G or T suffix, e.g. 4G");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        if (n <= 0 || Long.numberOfLeadingZeros(n) <= shift) {
            throw BangerException.invalidArgument(what + " '" + text + "' must be above zero and below 8 EiB");
        }
        return n << shift;
    }

    /** 1536 MiB as "1.5G": short, for tables. */
    public static String format(long bytes) {
        String[] units = {"B", "K", "M", "G", "T"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.floor(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v)) + units[u];
    }
}
