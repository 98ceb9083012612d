package dev.banger.core.model;

import java.util.List;

/**
 * One row of {@code banger doctor}: a check's name, its verdict, what it found and, unless it
 * passed, how to fix it (the package to install, the group to join, the config key to set).
 *
 * @param status  {@link #PASS}, {@link #WARN} (banger works, with a limit worth knowing) or {@link #FAIL} (something banger needs is missing)
 * @param details what was found, one fact a line
 * @param fix     what to do about it, one step a line (empty when nothing is to be done)
 */
public record DoctorCheck(String name, String status, List<String> details, List<String> fix) {

    public static final String PASS = "PASS";
    public static final String WARN = "WARN";
    public static final String FAIL = "FAIL";

    public DoctorCheck {
        if (!status.equals(PASS) && !status.equals(WARN) && !status.equals(FAIL)) {
            throw new IllegalArgumentException("status must be PASS, WARN or FAIL: " + status);
        }
        details = List.copyOf(details);
        fix = List.copyOf(fix);
    }

    public static DoctorCheck pass(String name, String... details) {
        return new DoctorCheck(name, PASS, List.of(details), List.of());
    }

    public static DoctorCheck warn(String name, List<String> details, String... fix) {
        return new DoctorCheck(name, WARN, details, List.of(fix));
    }

    public static DoctorCheck fail(String name, List<String> details, String... fix) {
        return new DoctorCheck(name, FAIL, details, List.of(fix));
    }

    public boolean failed() {
        return FAIL.equals(status);
    }
}
