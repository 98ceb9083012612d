package dev.banger.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.cli.console.Terminal;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Only the commands a command line names get a model; anything else gets the whole level, for help and suggestions. */
class RootCommandModelTest {

    private static Terminal quiet() {
        return new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false, false);
    }

    private static CommandLine model(String... args) {
        return new RootCommand(Map.of(), quiet()).commandLine(args);
    }

    private static Set<String> names(CommandLine cl) {
        return new TreeSet<>(cl.getSubcommands().keySet());
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuiltBelowItsGroup() {
        CommandLine root = model("--socket", "/tmp/s", "vm", "--json", "list");
        assertThat(names(root)).containsExactly("vm");
        CommandLine vm = root.getSubcommands().get("vm");
        assertThat(vm.getSubcommands().values().stream().map(CommandLine::getCommandName).distinct()).containsExactly("list");
        assertThat(vm.getCommandSpec().usageMessage().description()).containsExactly("Create, run, list and manage microVMs.");
        assertThat(vm.getSubcommands().get("list").getCommandSpec().qualifiedName()).isEqualTo("banger vm list");
    }

    @Test
    void nestedGroupsAreBuiltAlongTheNamedPathOnly() {
        CommandLine vm = model("vm", "workspace", "prepare", "box", ".").getSubcommands().get("vm");
        CommandLine workspace = vm.getSubcommands().get("workspace");
        assertThat(names(vm)).containsExactly("workspace");
        assertThat(names(workspace)).containsExactly("prepare");
        assertThat(workspace.getSubcommands().get("prepare").getCommandSpec().findOption("--help")).isNotNull();
    }

    @Test
    void everyTopLevelCommandIsFoundByEachOfItsNamesWithTheModelOfTheWholeTree() {
        CommandLine whole = model("--help");
        assertThat(whole.getSubcommands()).containsKeys("ping", "version", "vm", "ps");
        for (Map.Entry<String, CommandLine> e : whole.getSubcommands().entrySet()) {
            CommandLine alone = model("--socket", "/tmp/s", e.getKey());
            assertThat(names(alone)).as(e.getKey()).isEqualTo(new TreeSet<>(e.getValue().getCommandSpec().names()));
            CommandLine.Model.CommandSpec spec = alone.getSubcommands().get(e.getKey()).getCommandSpec();
            assertThat(spec.usageMessage().description()).as(e.getKey()).isEqualTo(e.getValue().getCommandSpec().usageMessage().description());
            assertThat(spec.options().stream().map(o -> o.longestName()).toList()).as(e.getKey())
                    .isEqualTo(e.getValue().getCommandSpec().options().stream().map(o -> o.longestName()).toList());
        }
    }

    @Test
    void theCommandsDeclaredInCodeKeepTheirHelpAndTheRootItsExitCodes() {
        CommandLine ping = model("ping").getSubcommands().get("ping");
        assertThat(ping.getCommandSpec().qualifiedName()).isEqualTo("banger ping");
        assertThat(ping.getUsageMessage()).contains("Check that bangerd answers.", "--socket=PATH", "--json", "-h, --help");
        assertThat(model("ping").getUsageMessage()).contains("Exit codes:", "3   bangerd unreachable", "-V, --version");
    }

    @Test
    void theVmCommandsDeclaredInCodeHaveAloneTheHelpTheyHaveInTheWholeTree() {
        CommandLine whole = model("--help");
        for (List<String> path : List.of(List.of("vm"), List.of("vm", "run"), List.of("vm", "create"), List.of("vm", "workspace"),
                List.of("vm", "workspace", "prepare"), List.of("vm", "workspace", "export"), List.of("vm", "snapshot", "list"))) {
            CommandLine alone = model(path.toArray(String[]::new));
            CommandLine full = whole;
            for (String word : path) {
                alone = alone.getSubcommands().get(word);
                full = full.getSubcommands().get(word);
            }
            assertThat(alone.getUsageMessage()).as(String.join(" ", path)).isEqualTo(full.getUsageMessage());
        }
        assertThat(model("vm", "run").getSubcommands().get("vm").getSubcommands().get("run").getUsageMessage())
                .contains("Usage: banger vm run [-dh] [--cold] [--include-untracked] [--[no-]isolate]",
                        "[--sync=HOST_PATH:GUEST_PATH]... [[PATH]", "  -d, --detach               Create and boot, then exit (no shell).");
    }

    /** The launcher turns picocli's converters for these packages off (scripts/build.sh, CLI_FLAGS). */
    @Test
    void noOptionOrParameterHasAJavaTimeOrJavaSqlType() {
        List<String> found = new ArrayList<>();
        collectTypes(RootCommand.fullCommandLine(new RootCommand(Map.of(), quiet())), found);
        assertThat(found).isNotEmpty().noneMatch(t -> t.contains("java.time.") || t.contains("java.sql."));
    }

    private static void collectTypes(CommandLine cl, List<String> found) {
        for (CommandLine.Model.ArgSpec arg : cl.getCommandSpec().args()) {
            found.add(arg.type().getName());
            for (Class<?> aux : arg.auxiliaryTypes()) {
                found.add(aux.getName());
            }
        }
        new java.util.LinkedHashSet<>(cl.getSubcommands().values()).forEach(sub -> collectTypes(sub, found));
    }

    @Test
    void anUnknownOrMissingSubcommandGetsTheWholeGroup() {
        assertThat(names(model("vm", "lst").getSubcommands().get("vm"))).contains("list", "create", "workspace", "ssh");
        assertThat(names(model("vm", "--help").getSubcommands().get("vm"))).contains("list", "create", "workspace", "ssh");
        assertThat(names(model("nonsense"))).contains("vm", "image", "ping", "version");
    }
}
