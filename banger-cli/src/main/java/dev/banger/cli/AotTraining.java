package dev.banger.cli;

import dev.banger.cli.console.Terminal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The training run behind the CLI's start-up archive (scripts/build.sh): runs several command
 * lines, separated by {@code ---}, in one JVM, so the archive holds what each of them loads, not
 * just what the first does (a JVM records one archive per run). Fails on the first command that
 * does not exit 0: an archive trained on an error path would miss the classes of the real one.
 */
public final class AotTraining {

    private AotTraining() {
    }

    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        Terminal terminal = Terminal.fromSystem(env);
        for (List<String> line : commandLines(args)) {
            int exit = Banger.execute(env, terminal, line.toArray(String[]::new));
            if (exit != 0) {
                System.err.println("AOT training: `banger " + String.join(" ", line) + "` exited " + exit);
                System.exit(exit);
            }
        }
        terminal.out().flush();
        System.exit(0);
    }

    static List<List<String>> commandLines(String[] args) {
        List<List<String>> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= args.length; i++) {
            if (i == args.length || args[i].equals("---")) {
                lines.add(Arrays.asList(args).subList(start, i));
                start = i + 1;
            }
        }
        return lines;
    }
}
