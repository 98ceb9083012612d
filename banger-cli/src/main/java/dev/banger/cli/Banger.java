package dev.banger.cli;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.cli.client.StartupTrace;
import dev.banger.cli.commands.RootCommand;
import dev.banger.cli.commands.UsageException;
import dev.banger.cli.console.Terminal;
import dev.banger.cli.workspace.WorkspaceException;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * {@code banger}'s entry point: runs one command line and turns what went wrong into a message
 * and an exit code (0 ok, 1 operation failed, 2 usage, 3 daemon unreachable).
 */
public final class Banger {

    private Banger() {
    }

    public static void main(String[] args) {
        StartupTrace.mark("main");
        Terminal terminal = Terminal.fromSystem(System.getenv());
        int exit = execute(System.getenv(), terminal, args);
        StartupTrace.mark("render");
        StartupTrace.report();
        terminal.out().flush();
        terminal.err().flush();
        // halt, not exit: System.exit's shutdown logs the exit through a System.Logger, whose first
        // use looks for a logging backend with a ServiceLoader scan that opens every jar on the
        // class path (~5 ms of each command). No command leaves a shutdown hook behind (vm run
        // --rm removes its own), and the output is flushed above.
        Runtime.getRuntime().halt(exit);
    }

    /** Runs one command line; tests call this with their own environment and terminal. */
    public static int execute(Map<String, String> env, Terminal terminal, String... args) {
        CommandLine cl = new RootCommand(env, terminal).commandLine(args);
        StartupTrace.mark("model");
        cl.setParameterExceptionHandler((ex, line) -> usageError(terminal, ex.getMessage(), ex.getCommandLine(),
                ex instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : List.of()));
        cl.setExecutionExceptionHandler((ex, line, parse) -> report(terminal, ex, line));
        return cl.execute(args);
    }

    /**
     * One line saying what was wrong and where to read more, not the whole help: the help
     * would push the message itself off the screen.
     */
    private static int usageError(Terminal terminal, String message, CommandLine command, List<String> suggestions) {
        terminal.error(message, null);
        if (!suggestions.isEmpty()) {
            terminal.hint("did you mean: " + String.join(", ", suggestions) + "?");
        }
        terminal.hint("see '" + command.getCommandSpec().qualifiedName() + " --help'");
        return RootCommand.EXIT_USAGE;
    }

    private static int report(Terminal terminal, Exception ex, CommandLine command) {
        return switch (ex) {
            case UsageException e -> usageError(terminal, e.getMessage(), command, List.of());
            // The daemon found a value the user typed unusable (a size like 12Q, an unknown --image).
            case BangerException e when e.code() == ErrorCode.INVALID_ARGUMENT -> usageError(terminal, e.getMessage(), command, List.of());
            case DaemonUnreachableException e -> {
                terminal.error(e.getMessage(), null);
                terminal.hint("start it with `banger daemon start` (or `sudo banger system install` on a systemd host)");
                yield RootCommand.EXIT_UNREACHABLE;
            }
            case BangerException e -> {
                terminal.error(e.getMessage(), e.opId());
                yield RootCommand.EXIT_FAILED;
            }
            case WorkspaceException e -> { // the user's tree, not banger, needs a change
                terminal.error(e.getMessage(), null);
                yield RootCommand.EXIT_USAGE;
            }
            default -> {
                terminal.error("unexpected error: " + ex, null);
                yield RootCommand.EXIT_FAILED;
            }
        };
    }
}
