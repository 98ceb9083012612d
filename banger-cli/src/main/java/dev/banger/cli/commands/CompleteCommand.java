package dev.banger.cli.commands;

import dev.banger.cli.client.RpcClient;
import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.model.VmInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Parameters;

/**
 * What the shell completion scripts ask: {@code banger __complete WORD... CURRENT} prints the
 * candidates for CURRENT, one a line as {@code candidate<TAB>description}, then a directive line,
 * {@code :files} when file names fit too, else {@code :none}. Commands and options come from the
 * picocli model; VM, image and kernel names from the running daemon (nothing when it is down).
 */
@Command(name = "__complete", hidden = true, description = "Print completion candidates for the shell scripts.")
public final class CompleteCommand implements Callable<Integer>, PrintsNoData {

    /** A TAB must not hang on a stuck daemon. */
    private static final Duration DAEMON_TIMEOUT = Duration.ofSeconds(2);
    /** Which daemon list holds the names a parameter of this label takes. */
    private static final Map<String, Function<RpcClient, List<String>>> NAMED = Map.of(
            "VM", c -> c.call(VmApi.LIST, VmApi.ListParams.USERS).vms().stream().map(VmInfo::name).toList(),
            "IMAGE", c -> c.call(ImageApi.LIST, NoParams.NONE).images().stream().map(ImageInfo::name).toList(),
            "KERNEL", c -> c.call(KernelApi.LIST, NoParams.NONE).kernels().stream().map(KernelInfo::name).toList());

    private final RootCommand root;
    /** The --socket the command line being completed names, if any: its daemon has the names. */
    private java.nio.file.Path socket;

    @Parameters(paramLabel = "WORD", arity = "0..*", description = "The words after banger; the last is the one being completed.")
    List<String> words = new ArrayList<>();

    CompleteCommand(RootCommand root) {
        this.root = root;
    }

    @Override
    public Integer call() {
        List<String> ws = words.isEmpty() ? List.of("") : words;
        String current = ws.getLast();
        List<String> before = ws.subList(0, ws.size() - 1);
        CommandLine command = RootCommand.commandLine(new RootCommand(root.env(), root.terminal()), before.isEmpty() ? new String[0] : new String[] {before.getFirst()});
        List<String> out = new ArrayList<>();
        boolean files = complete(command, before, current, out);
        out.forEach(root.terminal().out()::println);
        root.terminal().out().println(files ? ":files" : ":none");
        root.terminal().out().flush();
        return 0;
    }

    /** Adds the candidates for {@code current}; true when file names fit as well. */
    private boolean complete(CommandLine command, List<String> before, String current, List<String> out) {
        int positional = 0;
        ArgSpec pending = null; // an option whose value comes next
        boolean afterDashes = false;
        for (String w : before) {
            if (pending != null) {
                if (pending.isOption() && ((OptionSpec) pending).longestName().equals("--socket")) {
                    socket = java.nio.file.Path.of(w);
                }
                pending = null;
            } else if (afterDashes) {
                positional++;
            } else if (w.equals("--")) {
                afterDashes = true;
            } else if (w.startsWith("-")) {
                OptionSpec o = command.getCommandSpec().findOption(w.replaceAll("=.*", ""));
                pending = o != null && o.arity().min() > 0 && !w.contains("=") ? o : null;
            } else if (positional == 0 && command.getSubcommands().containsKey(w)) {
                command = command.getSubcommands().get(w);
            } else {
                positional++;
            }
        }
        CommandSpec spec = command.getCommandSpec();
        if (pending != null) {
            return values(pending, current, out);
        }
        if (afterDashes) {
            return true; // a command line for the guest
        }
        if (current.startsWith("-")) {
            for (OptionSpec o : spec.options()) {
                if (!o.hidden()) {
                    for (String name : o.names()) {
                        add(out, name, current, String.join(" ", o.description()));
                    }
                }
            }
            return false;
        }
        if (positional == 0) {
            for (CommandLine sub : new LinkedHashSet<>(command.getSubcommands().values())) {
                CommandSpec s = sub.getCommandSpec();
                if (!s.usageMessage().hidden()) {
                    add(out, s.name(), current, s.usageMessage().description().length > 0 ? s.usageMessage().description()[0] : "");
                }
            }
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.index().contains(positional)) {
                return values(p, current, out);
            }
        }
        return false;
    }

    /** The values {@code arg} takes: an enum's constants, names from the daemon, or files. */
    private boolean values(ArgSpec arg, String current, List<String> out) {
        if (arg.completionCandidates() != null) {
            arg.completionCandidates().forEach(c -> add(out, c, current, ""));
            return false;
        }
        String label = arg.paramLabel().replaceAll("[<>.]", "").toUpperCase(java.util.Locale.ROOT);
        Function<RpcClient, List<String>> names = NAMED.get(label);
        if (names == null) {
            return true;
        }
        try (RpcClient client = RpcClient.connect(socket != null ? socket : root.socket(), DAEMON_TIMEOUT)) {
            names.apply(client).forEach(name -> add(out, name, current, ""));
        } catch (RuntimeException e) {
            // No daemon, no names: completion must never print an error into the user's command line.
        }
        return false;
    }

    private static void add(List<String> out, String candidate, String current, String description) {
        if (candidate.startsWith(current)) {
            out.add(description.isEmpty() ? candidate : candidate + "\t" + description.replaceAll("\\s+", " "));
        }
    }
}
