package dev.banger.cli.workspace;

import dev.banger.cli.exec.ProcessLauncher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The user's git, run as the user through ProcessLauncher, in one work tree. */
final class Git {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private final Path dir;

    Git(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** stdout of a git command that must succeed. */
    byte[] run(Map<String, String> env, byte[] input, String... args) {
        ProcessLauncher.Output o = runAllowingFailure(env, input, args);
        if (o.exitCode() != 0) {
            throw new WorkspaceException("git " + String.join(" ", args) + " in " + dir + " failed: " + o.stderr().strip());
        }
        return o.stdout();
    }

    String text(String... args) {
        return new String(run(Map.of(), new byte[0], args), StandardCharsets.UTF_8).strip();
    }

    ProcessLauncher.Output runAllowingFailure(Map<String, String> env, byte[] input, String... args) {
        List<String> argv = new ArrayList<>(List.of("git", "-c", "core.quotePath=false"));
        argv.addAll(List.of(args));
        try {
            return ProcessLauncher.run(argv, dir, env, input, TIMEOUT);
        } catch (IOException e) {
            throw new WorkspaceException("cannot run git (" + e.getMessage() + "): install git on this host");
        }
    }

    /** A NUL-separated list (git's -z output) as strings. */
    static List<String> nulSeparated(byte[] out) {
        List<String> items = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) {
                items.add(new String(out, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return items;
    }
}
