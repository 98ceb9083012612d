package dev.banger.daemon.doctor;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Host programs as doctor sees them: where they are, and what their version flag prints. Not final: tests hide tools. */
class ToolProbe {

    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);

    private final CommandRunner runner;

    ToolProbe(CommandRunner runner) {
        this.runner = runner;
    }

    Optional<Path> locate(String program) {
        return HostPrograms.locate(program);
    }

    /** The first line {@code bin ARGS} prints (stdout, else stderr), or empty when it fails to run or exits non-zero. */
    Optional<String> firstLine(Path bin, String... args) {
        String[] argv = new String[args.length + 1];
        argv[0] = bin.toString();
        System.arraycopy(args, 0, argv, 1, args.length);
        try {
            CommandResult r = runner.runAllowingFailure(Command.of(argv).withTimeout(VERSION_TIMEOUT));
            String text = r.stdout().isBlank() ? r.stderr() : r.stdout();
            return r.ok() ? text.lines().filter(l -> !l.isBlank()).findFirst().map(String::strip) : Optional.empty();
        } catch (CommandFailedException e) {
            return Optional.empty();
        }
    }
}
