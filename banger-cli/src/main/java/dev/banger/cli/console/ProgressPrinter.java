package dev.banger.cli.console;

import dev.banger.cli.client.RpcClient;
import dev.banger.core.units.Sizes;
import java.util.Map;
import java.util.Objects;

/**
 * Renders a long operation's progress: on a terminal one line redrawn in place (stage, bytes,
 * a bar); otherwise one plain line per stage, so logs and CI output stay readable.
 */
public final class ProgressPrinter implements RpcClient.ProgressListener {

    private static final int BAR = 24;
    private final Terminal terminal;
    private final boolean live;
    private String lastStage;
    private int lastWidth;

    public ProgressPrinter(Terminal terminal) {
        this.terminal = terminal;
        this.live = terminal.ttyErr(); // NO_COLOR is about colour: the live bar stays
    }

    @Override
    public void onProgress(Map<String, Object> event) {
        String stage = String.valueOf(event.get("stage"));
        long done = number(event.get("done"));
        long total = number(event.get("total"));
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

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }
}
