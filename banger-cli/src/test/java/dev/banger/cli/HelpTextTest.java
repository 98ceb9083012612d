package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.cli.commands.RootCommand;
import dev.banger.cli.console.Terminal;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/** The help every command prints, over the whole command tree. */
class HelpTextTest {

    @Test
    void everySummaryAndOptionDescriptionIsAWholeSentence() {
        List<String> cut = new ArrayList<>();
        for (CommandLine c : commands()) {
            String name = c.getCommandSpec().qualifiedName();
            String[] description = c.getCommandSpec().usageMessage().description();
            assertThat(description).as(name + " has a description").isNotEmpty();
            // The first line is the summary a parent's command list shows: it must stand alone.
            checkSentence(name + " (summary)", description[0], cut);
            checkSentence(name, String.join(" ", description), cut);
            List<ArgSpec> args = new ArrayList<>(c.getCommandSpec().options());
            args.addAll(c.getCommandSpec().positionalParameters());
            for (ArgSpec a : args) {
                if (!a.hidden()) {
                    checkSentence(name + " " + (a.isOption() ? ((CommandLine.Model.OptionSpec) a).longestName() : a.paramLabel()),
                            String.join(" ", a.description()), cut);
                }
            }
        }
        assertThat(cut).as("descriptions that are not whole sentences").isEmpty();
    }

    private static void checkSentence(String what, String text, List<String> cut) {
        String t = text.strip();
        boolean whole = !t.isEmpty() && (Character.isUpperCase(t.charAt(0)) || !Character.isLetter(t.charAt(0)))
                && t.matches("(?s).*[.!?)]$");
        if (!whole) {
            cut.add(what + ": \"" + t + "\"");
        }
    }

    static List<CommandLine> commands() {
        StringWriter sink = new StringWriter();
        RootCommand root = new RootCommand(Map.of(), new Terminal(new PrintWriter(sink), new PrintWriter(sink), false, false));
        List<CommandLine> all = new ArrayList<>();
        collect(RootCommand.fullCommandLine(root), all);
        return all;
    }

    private static void collect(CommandLine c, List<CommandLine> all) {
        all.add(c);
        for (CommandLine sub : new LinkedHashSet<>(c.getSubcommands().values())) {
            collect(sub, all);
        }
    }
}
