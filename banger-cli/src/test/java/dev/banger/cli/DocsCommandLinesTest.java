package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.cli.commands.RootCommand;
import dev.banger.cli.console.Terminal;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every {@code banger ...} command line README.md and docs/*.md quote names commands and options
 * that exist, and its command prints its help: a renamed command or option fails the build.
 */
class DocsCommandLinesTest {

    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final Pattern INLINE = Pattern.compile("`(?:sudo )?banger ([^`]+)`");
    /** First words of messages the docs quote, which are not command lines. */
    private static final java.util.Set<String> PROSE = java.util.Set.of("is", "was", "has", "cannot", "can", "does");
    private static final Pattern BLOCK_LINE = Pattern.compile("^(?:\\$ )?(?:sudo )?banger (.+)$");

    @Test
    void everyQuotedCommandLineNamesRealCommandsAndOptions() throws IOException {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Quote q : quotes()) {
            String first = q.words().getFirst();
            if (PROSE.contains(first) || first.matches("[A-Z]+")) {
                continue; // a message quoted in a table, e.g. `banger is not installed on this host`, `banger V failed`
            }
            for (List<String> words : alternatives(q.words())) {
                checked++;
                String problem = check(words);
                if (problem != null) {
                    wrong.add(q.where() + ": banger " + String.join(" ", words) + ": " + problem);
                }
            }
        }
        assertThat(checked).as("command lines found in the docs").isGreaterThan(100);
        assertThat(wrong).as("command lines in the docs that the CLI does not have").isEmpty();
    }

    record Quote(String where, List<String> words) {
    }

    /** The words of each quoted command line, up to the first that belongs to a shell or is prose. */
    static List<Quote> quotes() throws IOException {
        List<Path> files = new ArrayList<>(List.of(REPO.resolve("README.md")));
        try (Stream<Path> docs = Files.list(REPO.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        List<Quote> out = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            boolean inBlock = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String where = REPO.relativize(f) + ":" + (i + 1);
                if (line.strip().startsWith("```")) {
                    inBlock = !inBlock;
                    continue;
                }
                if (inBlock) {
                    Matcher m = BLOCK_LINE.matcher(line.strip());
                    if (m.matches()) {
                        out.add(new Quote(where, words(m.group(1))));
                    }
                } else {
                    Matcher m = INLINE.matcher(line);
                    while (m.find()) {
                        out.add(new Quote(where, words(m.group(1))));
                    }
                }
            }
        }
        return out;
    }

    private static List<String> words(String commandLine) {
        List<String> words = new ArrayList<>();
        for (String raw : commandLine.strip().split("\\s+")) {
            String w = raw.replaceAll("^\\[|\\]$", "").replaceAll("[.,:]$", "");
            if (w.equals("--") || w.startsWith("#") || w.matches(".*[;<>()$`'\"&*].*") || w.equals("...")) {
                break;
            }
            words.add(w);
        }
        return words;
    }

    /** {@code vm stop|start} as {@code vm stop} and {@code vm start}; only command words branch. */
    private static List<List<String>> alternatives(List<String> words) {
        List<List<String>> out = new ArrayList<>(List.of(new ArrayList<>()));
        for (String w : words) {
            List<String> choices = w.matches("[a-z-]+(\\|[a-z-]+)+") ? List.of(w.split("\\|")) : List.of(w);
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : out) {
                for (String c : choices) {
                    List<String> l = new ArrayList<>(prefix);
                    l.add(c);
                    next.add(l);
                }
            }
            out = next;
        }
        return out;
    }

    /** What is wrong with one command line, or null: its commands, its options, and its --help. */
    private static String check(List<String> words) {
        CommandLine command = RootCommand.fullCommandLine(new RootCommand(Map.of(), quiet()));
        List<String> path = new ArrayList<>();
        for (String w : words) {
            if (w.startsWith("-")) {
                String name = w.replaceAll("=.*", "");
                CommandLine.Model.CommandSpec spec = command.getCommandSpec();
                boolean known = name.startsWith("--") || name.length() == 2
                        ? spec.findOption(name) != null || spec.negatedOptionsMap().containsKey(name)
                        : name.substring(1).chars().allMatch(c -> spec.findOption("-" + (char) c) != null);
                if (!known) {
                    return "no option " + name + " on banger " + String.join(" ", path);
                }
            } else if (command.getSubcommands().containsKey(w)) {
                command = command.getSubcommands().get(w);
                path.add(w);
            } else if (!command.getSubcommands().isEmpty() && command.getCommandSpec().positionalParameters().isEmpty()) {
                return "no command '" + w + "' in banger " + String.join(" ", path);
            }
        }
        if (path.isEmpty()) {
            return "names no command";
        }
        List<String> help = new ArrayList<>(path);
        help.add("--help");
        CliRun r = CliRun.run(Map.of(), help.toArray(String[]::new));
        return r.exit() == 0 ? null : "--help exits " + r.exit() + ": " + r.err();
    }

    private static Terminal quiet() {
        return new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false, false);
    }
}
