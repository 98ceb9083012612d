package dev.banger.cli.console;

import java.util.regex.Pattern;

/**
 * A guest's console output made safe to print: its terminal escapes (colours, cursor moves, window
 * titles, resets) and other control characters removed, so they cannot repaint the user's terminal.
 */
public final class TerminalEscapes {

    /** CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and the two-byte ESC sequences. */
    private static final Pattern ESCAPE = Pattern.compile(
            "\u001b\\[[0-?]*[ -/]*[@-~]|\u001b\\][^\u0007\u001b]*(?:\u0007|\u001b\\\\)?|\u001b[ -/]*[0-~]?|\u009b[0-?]*[ -/]*[@-~]");
    private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f]");

    private TerminalEscapes() {
    }

    public static String strip(String line) {
        return CONTROL.matcher(ESCAPE.matcher(line).replaceAll("")).replaceAll("");
    }
}
