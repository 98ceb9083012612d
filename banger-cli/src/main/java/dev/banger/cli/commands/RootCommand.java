package dev.banger.cli.commands;

import dev.banger.cli.console.Terminal;
import dev.banger.core.BuildInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ScopeType;

/**
 * The {@code banger} command itself: its root options (--socket, --json), what every subcommand
 * reads from them, the exit codes, and the picocli tree. Each subcommand is one class that sends
 * one request to bangerd and renders the answer. Declared in code, like the commands in
 * {@link #DECLARED}, so that {@code banger ping} reads no annotation at all ({@link DeclaredCommand}).
 */
public final class RootCommand implements Runnable, DeclaredCommand {

    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;
    public static final String SOCKET_ENV = "BANGER_SOCKET";
    public static final Path DEFAULT_SOCKET = Path.of("/run/banger/bangerd.sock");

    /**
     * The top-level commands, in help order. Only the one a command line names gets a picocli
     * model (and below it only the named subcommand): building the model of every command costs
     * more start-up than the command itself.
     */
    private static final List<Class<?>> COMMANDS = List.of(VmCommand.class, PsCommand.class, PingCommand.class, VersionCommand.class, ImageCommand.class,
            KernelCommand.class, DaemonCommand.class, DoctorCommand.class, SystemCommand.class, UpdateCommand.class, CompletionCommand.class,
            InternalCommand.class, SshConfigCommand.class, SshProxyCommand.class, CompleteCommand.class);

    /** The {@link DeclaredCommand}s, by name (a word names one only where its group lists it). */
    private static final Map<String, Class<?>> DECLARED = Map.of(PingCommand.NAME, PingCommand.class, VersionCommand.NAME, VersionCommand.class,
            VmCommand.NAME, VmCommand.class, VmRunCommand.NAME, VmRunCommand.class, VmCreateCommand.NAME, VmCreateCommand.class,
            VmWorkspaceCommand.NAME, VmWorkspaceCommand.class, VmWorkspacePrepareCommand.NAME, VmWorkspacePrepareCommand.class);

    Path socket;
    boolean json;

    private final Map<String, String> env;
    private final Terminal terminal;

    public RootCommand(Map<String, String> env, Terminal terminal) {
        this.env = env;
        this.terminal = terminal;
    }

    /** The tree for one command line: only the commands it names get a model (see {@link #model}). */
    public CommandLine commandLine(String... args) {
        CommandLine cl = commandLine(this, args);
        cl.setExecutionStrategy(parse -> {
            CommandLine command = parse.asCommandLineList().getLast();
            if (json && command.getCommand() instanceof PrintsNoData) {
                throw new CommandLine.ParameterException(command,
                        "--json: `" + command.getCommandSpec().qualifiedName() + "` prints nothing to parse");
            }
            return new CommandLine.RunLast().execute(parse);
        });
        cl.setOut(terminal.out());
        cl.setErr(terminal.err());
        return cl;
    }

    /** The command tree with every top-level command, as help and completion scripts need it. */
    public static CommandLine fullCommandLine(RootCommand root) {
        return commandLine(root, new String[0]);
    }

    /** The tree for {@code args}: only the commands they name get a model (all top-level ones for none or an unknown word). */
    static CommandLine commandLine(RootCommand root, String[] args) {
        CommandFactory factory = new CommandFactory(root);
        CommandLine cl = withSubcommands(new CommandLine(root.spec(), factory), COMMANDS, args, 0, factory);
        withHelpOptions(cl);
        // picocli's own Path converter calls Paths.get by reflection, whose first use spins
        // method-handle classes (~5 ms of `banger --socket S ping`).
        cl.registerConverter(Path.class, Path::of);
        return cl;
    }

    /**
     * The model of {@code command} whose arguments start at {@code args[from]}: a group (vm, image,
     * ...) gets only the subcommand the next word names, recursively. Every subcommand's model
     * costs class loading and annotation reading at start-up, a whole group's tens of ms.
     */
    private static CommandLine model(Class<?> command, String[] args, int from, CommandFactory factory) {
        if (DeclaredCommand.class.isAssignableFrom(command)) {
            DeclaredCommand declared = (DeclaredCommand) create(factory, command);
            return withSubcommands(new CommandLine(declared.spec(), factory), declared.subcommands(), args, from, factory);
        }
        Command annotation = command.getAnnotation(Command.class);
        List<Class<?>> subcommands = List.of(annotation.subcommands());
        int at = nextWord(args, from);
        if (at < 0 || named(subcommands, args[at]) == null) {
            return new CommandLine(command, factory);
        }
        // The group as picocli would make it from its annotation, minus the other subcommands.
        CommandSpec spec = CommandSpec.wrapWithoutInspection(create(factory, command), factory);
        spec.name(annotation.name()).aliases(annotation.aliases());
        spec.usageMessage().description(annotation.description()).hidden(annotation.hidden());
        return withSubcommands(new CommandLine(spec, factory), subcommands, args, from, factory);
    }

    /**
     * Adds to {@code group} the subcommand the next word from {@code args[from]} names; when it
     * names none (none given, --help, a typo), all of them, for the group's help and picocli's
     * suggestions.
     */
    private static CommandLine withSubcommands(CommandLine group, List<Class<?>> subcommands, String[] args, int from, CommandFactory factory) {
        int at = nextWord(args, from);
        Class<?> named = at < 0 ? null : named(subcommands, args[at]);
        if (named != null) {
            group.addSubcommand(model(named, args, at + 1, factory));
        } else {
            for (Class<?> c : subcommands) {
                group.addSubcommand(model(c, args, args.length, factory)); // no words left: the whole command
            }
        }
        return group;
    }

    private static Object create(CommandFactory factory, Class<?> command) {
        try {
            return factory.create(command);
        } catch (Exception e) {
            throw new CommandLine.InitializationException("cannot create " + command.getName(), e);
        }
    }

    /** The command among {@code commands} that {@code word} names, or null; reads annotations only when no declared command is named. */
    private static Class<?> named(List<Class<?>> commands, String word) {
        Class<?> declared = DECLARED.get(word);
        if (declared != null && commands.contains(declared)) {
            return declared;
        }
        for (Class<?> c : commands) {
            if (!DeclaredCommand.class.isAssignableFrom(c) && names(c).contains(word)) {
                return c;
            }
        }
        return null;
    }

    @Override
    public CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("banger").versionProvider(new Version());
        spec.usageMessage().description("One-command development sandboxes on microVMs.")
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(UsageMessageSpec.keyValuesMap("0:ok", "1:the operation failed", "2:usage error", "3:bangerd unreachable"));
        spec.addOption(helpOption());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        spec.addOption(Binding.bind(OptionSpec.builder("--socket"), () -> socket, v -> socket = v).paramLabel("PATH").type(Path.class).scopeType(ScopeType.INHERIT)
                .description("The socket bangerd listens on (default: $BANGER_SOCKET, else /run/banger/bangerd.sock).")
                .build());
        spec.addOption(Binding.bind(OptionSpec.builder("--json"), () -> json, v -> json = v).type(boolean.class).arity("0").scopeType(ScopeType.INHERIT)
                .description("Print machine-readable JSON.")
                .build());
        return spec;
    }

    private static OptionSpec helpOption() {
        return OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build();
    }

    /** -h/--help on every command, set once here rather than on each command class. */
    private static void withHelpOptions(CommandLine cl) {
        for (CommandLine sub : new java.util.LinkedHashSet<>(cl.getSubcommands().values())) { // aliases repeat entries
            if (sub.getCommandSpec().findOption("--help") == null) {
                sub.getCommandSpec().addOption(helpOption());
                withHelpOptions(sub);
            }
        }
    }

    private static List<String> names(Class<?> command) {
        Command c = command.getAnnotation(Command.class);
        List<String> names = new ArrayList<>(List.of(c.aliases()));
        names.add(c.name());
        return names;
    }

    /** The index of the first argument from {@code from} that is not a root option (or its value); -1 if none. */
    private static int nextWord(String[] args, int from) {
        for (int i = from; i < args.length; i++) {
            if (args[i].equals("--socket")) {
                i++;
            } else if (!args[i].startsWith("-")) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void run() {
        throw new UsageException("missing command: try `banger --help`");
    }

    /** The socket the user chose: flag, then $BANGER_SOCKET, then the system default. */
    public Path socket() {
        if (socket != null) {
            return socket;
        }
        String fromEnv = env.get(SOCKET_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : DEFAULT_SOCKET;
    }

    public boolean socketChosen() {
        return socket != null || (env.get(SOCKET_ENV) != null && !env.get(SOCKET_ENV).isBlank());
    }

    public boolean json() {
        return json;
    }

    public Map<String, String> env() {
        return env;
    }

    public Terminal terminal() {
        return terminal;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.current().oneLine("banger")};
        }
    }
}
