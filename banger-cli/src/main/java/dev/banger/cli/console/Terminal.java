package dev.banger.cli.console;

import java.io.PrintWriter;
import java.util.Map;

/**
 * Where the CLI writes, whether each stream is a TTY (live progress, relative times) and whether
 * it may use colour: only on a TTY, never with NO_COLOR, which is about colour alone. The
 * launcher tells us about TTYs ({@code -Dbanger.tty.out/err}); Java alone cannot on JDK 21.
 */
public record Terminal(PrintWriter out, PrintWriter err, boolean ttyOut, boolean ttyErr, boolean noColor) {

    private static final String RED = "\u001b[31m";
    private static final String DIM = "\u001b[2m";
    private static final String BOLD = "\u001b[1m";
    private static final String RESET = "\u001b[0m";

    /** TTYs where colour is allowed too. */
    public Terminal(PrintWriter out, PrintWriter err, boolean ttyOut, boolean ttyErr) {
        this(out, err, ttyOut, ttyErr, false);
    }

    public static Terminal fromSystem(Map<String, String> env) {
        return new Terminal(new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                Boolean.getBoolean("banger.tty.out"), Boolean.getBoolean("banger.tty.err"), env.containsKey("NO_COLOR"));
    }

    public boolean colourOut() {
        return ttyOut && !noColor;
    }

    public boolean colourErr() {
        return ttyErr && !noColor;
    }

    /** {@code banger: <message> (op <id>)} on stderr. */
    public void error(String message, String opId) {
        StringBuilder b = new StringBuilder();
        b.append(colourErr() ? RED + BOLD + "banger:" + RESET : "banger:").append(' ').append(message);
        if (opId != null) {
            b.append(' ').append(colourErr() ? DIM + "(op " + opId + ")" + RESET : "(op " + opId + ")");
        }
        err.println(b);
        err.flush();
    }

    public void hint(String message) {
        err.println(colourErr() ? DIM + "  " + message + RESET : "  " + message);
        err.flush();
    }

    public void println(String line) {
        out.println(line);
        out.flush();
    }
}
