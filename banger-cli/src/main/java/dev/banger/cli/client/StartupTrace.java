package dev.banger.cli.client;

/**
 * Start-up phase marks for measuring, off unless {@code -Dbanger.trace.startup} is set (e.g.
 * {@code BANGER_JAVA_OPTS=-Dbanger.trace.startup banger ping}): then the time between marks is
 * printed to stderr at exit. Kept to plain fields and System.nanoTime so the marks cost nothing
 * measurable and load no classes when off.
 */
public final class StartupTrace {

    private static final boolean ON = System.getProperty("banger.trace.startup") != null;
    private static final long MAIN_MILLIS = ON ? System.currentTimeMillis() : 0;
    private static final String[] NAMES = new String[16];
    private static final long[] NANOS = new long[16];
    private static int count;

    private StartupTrace() {
    }

    /** Records that the phase ending here is over; the first mark is main's entry. */
    public static void mark(String phase) {
        if (ON && count < NAMES.length) {
            NANOS[count] = System.nanoTime();
            NAMES[count++] = phase;
        }
    }

    /** Prints the marks (ms since the JVM started, then each phase's length) when tracing is on. */
    public static void report() {
        if (!ON || count == 0) {
            return;
        }
        // Read only now: the management classes would otherwise count in the phases measured.
        long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        StringBuilder sb = new StringBuilder("startup: JVM start to main ").append(MAIN_MILLIS - jvmStart).append(" ms");
        for (int i = 1; i < count; i++) {
            sb.append(", ").append(NAMES[i]).append(' ').append((NANOS[i] - NANOS[i - 1]) / 100_000 / 10.0).append(" ms");
        }
        sb.append(" (main to exit ").append((NANOS[count - 1] - NANOS[0]) / 100_000 / 10.0).append(" ms)");
        System.err.println(sb);
    }
}
