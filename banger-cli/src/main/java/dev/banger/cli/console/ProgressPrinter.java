package dev.banger.cli.console;

import dev.banger.cli.client.RpcClient;
import dev.banger.core.units.Sizes;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Renders a long operation's progress: on a terminal one line redrawn in place (stage, bytes,
 * a bar, the rate and the time left); otherwise one plain line per stage, so logs and CI output
 * stay readable. Whether stderr is a terminal decides, not NO_COLOR: the bar has no colour.
 */
public final class ProgressPrinter implements RpcClient.ProgressListener {

    private static final int BAR = 24;
    private final Terminal terminal;
    private final boolean live;
    /** A rate from less time than this jumps about too much to show. */
    private static final long MIN_RATE_NANOS = 500_000_000L;
    private final LongSupplier nanoTime;
    private String lastStage;
    private int lastWidth;
    private long stageStartNanos;
    private long stageStartDone;

    public ProgressPrinter(Terminal terminal) {
        this(terminal, System::nanoTime);
    }

    /** With the clock rates and ETAs are measured on (tests pass their own). */
    public ProgressPrinter(Terminal terminal, LongSupplier nanoTime) {
        this.terminal = terminal;
        this.live = terminal.ttyErr();
        this.nanoTime = nanoTime;
    }

    @Override
    public void onProgress(Map<String, Object> event) {
        String stage = String.valueOf(event.get("stage"));
        long done = number(event.get("done"));
        long total = number(event.get("total"));
        long now = nanoTime.getAsLong();
        if (!Objects.equals(stage, lastStage)) {
            stageStartNanos = now;
            stageStartDone = done;
        }
        if (!live) {
            if (!Objects.equals(stage, lastStage)) {
                terminal.err().println("  " + stage + (total > 0 ? " (" + Sizes.format(total) + ")" : ""));
                terminal.err().flush();
            }
            lastStage = stage;
            return;
        }
        StringBuilder line = new StringBuilder("\r  ").append(stage);
        if (total > 0) {
            int filled = (int) Math.min(BAR, done * BAR / total);
            line.append("  [").append("#".repeat(filled)).append(" ".repeat(BAR - filled)).append("] ")
                    .append(Sizes.format(done)).append(" / ").append(Sizes.format(total));
        } else if (done > 0) {
            line.append("  ").append(Sizes.format(done));
        }
        long elapsed = now - stageStartNanos;
        if (elapsed >= MIN_RATE_NANOS && done > stageStartDone) {
            double perSecond = (done - stageStartDone) * 1e9 / elapsed;
            line.append("  ").append(Sizes.format((long) perSecond)).append("/s");
            if (total > done) {
                line.append("  ETA ").append(eta((long) Math.ceil((total - done) / perSecond)));
            }
        }
        int width = line.length();
        line.append(" ".repeat(Math.max(0, lastWidth - width)));
        lastWidth = width;
        if (lastStage != null && !stage.equals(lastStage)) {
            terminal.err().print("\n");
        }
        lastStage = stage;
        terminal.err().print(line);
        terminal.err().flush();
    }

    /** Ends the live line so the result starts on a fresh one. */
    public void finish() {
        if (live && lastStage != null) {
            terminal.err().println();
            terminal.err().flush();
        }
    }

    /** 65 as "1m05s": short, and its width changes little while it counts down. */
    static String eta(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + (seconds % 60 < 10 ? "0" : "") + seconds % 60 + "s";
        }
        return seconds / 3600 + "h" + (seconds % 3600 / 60 < 10 ? "0" : "") + seconds % 3600 / 60 + "m";
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
