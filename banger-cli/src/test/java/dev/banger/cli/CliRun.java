package dev.banger.cli;

import dev.banger.cli.console.Terminal;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;

/** Runs the real CLI code in-process and keeps what it printed. */
record CliRun(int exit, String out, String err) {

    static CliRun run(Map<String, String> env, String... args) {
        return run(env, false, args);
    }

    /** With {@code tty}: as if stdout and stderr were a terminal (no colour: NO_COLOR is set). */
    static CliRun run(Map<String, String> env, boolean tty, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Terminal t = new Terminal(new PrintWriter(out, true), new PrintWriter(err, true), tty, tty, true);
        int code = Banger.execute(new HashMap<>(env), t, args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
