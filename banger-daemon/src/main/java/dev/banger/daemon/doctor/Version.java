package dev.banger.daemon.doctor;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A dotted version (major.minor.patch) found in a tool's version line, for range checks. */
record Version(int major, int minor, int patch) implements Comparable<Version> {

    private static final Pattern DOTTED = Pattern.compile("(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** The first dotted number in {@code text} ("QEMU emulator version 7.2.19 (...)" gives 7.2.19). */
    static Optional<Version> find(String text) {
        Matcher m = DOTTED.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new Version(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                m.group(3) == null ? 0 : Integer.parseInt(m.group(3))));
    }

    static Version of(String dotted) {
        return find(dotted).orElseThrow(() -> new IllegalArgumentException("not a version: " + dotted));
    }

    @Override
    public int compareTo(Version o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
