package dev.banger.daemon.exec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One command to run: an argv list (never a shell string), a timeout, and optionally a working
 * directory, extra environment and bytes for stdin.
 */
public record Command(List<String> argv, Duration timeout, Path workDir, Map<String, String> env, byte[] stdin) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("command needs at least a program name");
        }
        env = Map.copyOf(env);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), DEFAULT_TIMEOUT, null, Map.of(), null);
    }

    public Command withTimeout(Duration t) {
        return new Command(argv, t, workDir, env, stdin);
    }

    public Command withStdin(byte[] input) {
        return new Command(argv, timeout, workDir, env, input);
    }

    public Command withWorkDir(Path dir) {
        return new Command(argv, timeout, dir, env, stdin);
    }

    public Command withEnv(Map<String, String> extra) {
        return new Command(argv, timeout, workDir, extra, stdin);
    }

    /** The argv as a person would type it, for error messages and logs. */
    public String display() {
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            if (!b.isEmpty()) b.append(' ');
            b.append(a.isEmpty() || a.chars().anyMatch(c -> " \t\"'$\\".indexOf(c) >= 0) ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return b.toString();
    }
}
