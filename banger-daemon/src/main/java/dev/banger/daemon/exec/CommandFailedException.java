package dev.banger.daemon.exec;

/**
 * A command that could not start, exited non-zero or timed out. The message names the command,
 * the exit code and the tail of its stderr, which is what a person needs to fix it.
 */
public class CommandFailedException extends RuntimeException {

    private static final int STDERR_TAIL_CHARS = 800;

    private final transient CommandResult result;

    CommandFailedException(String message, CommandResult result, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    /** The finished command, or null when it never started or was killed on timeout. */
    public CommandResult result() {
        return result;
    }

    static CommandFailedException exited(CommandResult r) {
        return new CommandFailedException("command `" + r.command().display() + "` exited with status "
                + r.exitCode() + tail(r.stderr()), r, null);
    }

    static CommandFailedException timedOut(Command c, String stderr) {
        return new CommandFailedException("command `" + c.display() + "` timed out after "
                + c.timeout().toMillis() + " ms and was killed" + tail(stderr), null, null);
    }

    static CommandFailedException cannotStart(Command c, Exception cause) {
        return new CommandFailedException("cannot run `" + c.display() + "`: " + cause.getMessage(), null, cause);
    }

    static CommandFailedException interrupted(Command c) {
        return new CommandFailedException("command `" + c.display() + "` was cancelled", null, null);
    }

    private static String tail(String stderr) {
        String s = stderr == null ? "" : stderr.strip();
        if (s.isEmpty()) {
            return "";
        }
        if (s.length() > STDERR_TAIL_CHARS) {
            s = "..." + s.substring(s.length() - STDERR_TAIL_CHARS);
        }
        return ": " + s;
    }
}
