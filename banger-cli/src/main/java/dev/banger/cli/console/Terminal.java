package dev.banger.cli.console;

import java.io.PrintWriter;
import java.util.Map;

/**
 * Where the CLI writes, and whether it may use colour: only on a TTY, never with NO_COLOR. The
 * launcher tells us about TTYs ({@code -Dbanger.tty.out/err}); Java alone cannot on JDK 21.
 */
public record Terminal(PrintWriter out, PrintWriter err, boolean colourOut, boolean colourErr) {

    private static final String RED = "\u001b[31m";
    private static final String DIM = "\u001b[2m";
    private static final String BOLD = "\u001b[1m";
    private static final String RESET = "\u001b[0m";

    public static Terminal fromSystem(Map<String, String> env) {
        boolean noColor = env.containsKey("NO_COLOR");
        return new Terminal(new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                !noColor && Boolean.getBoolean("banger.tty.out"), !noColor && Boolean.getBoolean("banger.tty.err"));
    }

    /** {@code banger: <message> (op <id>)} on stderr. */
    public void error(String message, String opId) {
        StringBuilder b = new StringBuilder();
        b.append(colourErr ? RED + BOLD + "banger:" + RESET : "banger:").append(' ').append(message);
        if (opId != null) {
            b.append(' ').append(colourErr ? DIM + "(op " + opId + ")" + RESET : "(op " + opId + ")");
        }
        err.println(b);
        err.flush();
    }

    public void hint(String message) {
        err.println(colourErr ? DIM + "  " + message + RESET : "  " + message);
        err.flush();
    }

    public void println(String line) {
        out.println(line);
        out.flush();
    }
}
