package dev.banger.cli.commands;

import static dev.banger.cli.commands.Binding.bind;

import dev.banger.cli.workspace.Shipment;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

/** {@code banger vm run}, declared in code: it is banger's main job, and reading annotations costs its start-up ({@link DeclaredCommand}). */
public final class VmRunCommand implements Callable<Integer>, DeclaredCommand {

    static final String NAME = "run";

    private final Invocation inv;
    private CommandSpec commandSpec;

    final VmSpecOptions spec = new VmSpecOptions();
    final WorkspaceOptions ws = new WorkspaceOptions();
    boolean rm;
    boolean detach;
    List<String> words = List.of();

    /** After {@link #validate}: the PATH to ship (null: none), and the command after -- (empty: a shell). */
    Path path;
    List<String> command = List.of();

    VmRunCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public CommandSpec spec() {
        commandSpec = CommandSpec.wrapWithoutInspection(this).name(NAME);
        commandSpec.usageMessage().description("Create a VM, wait for SSH, then open a shell in it or run a command.",
                "  banger vm run . -- make test   ships the git work tree at . to /root/repo and runs make test there",
                "  banger vm run -- uname -a      no PATH: runs in /root",
                "Exits with the command's status. What is shipped: tracked files as they are on disk (see",
                "`banger vm workspace prepare --help`); one word after -- is a command line for the guest's shell.");
        commandSpec.addMixin(VmSpecOptions.MIXIN, spec.mixin());
        commandSpec.addOption(bind(OptionSpec.builder("--rm").type(boolean.class).paramLabel("<rm>"), () -> rm, v -> rm = v)
                .description("Delete the VM when the shell or command ends.").build());
        commandSpec.addOption(bind(OptionSpec.builder("-d", "--detach").type(boolean.class).paramLabel("<detach>"), () -> detach, v -> detach = v)
                .description("Create and boot, then exit (no shell).").build());
        commandSpec.addMixin(WorkspaceOptions.MIXIN, ws.mixin());
        commandSpec.addPositional(bind(PositionalParamSpec.builder().index("0..*").arity("0..*").type(List.class).auxiliaryTypes(String.class)
                .paramLabel("[PATH] [-- CMD]"), () -> words, v -> words = v)
                .description("A directory in a git work tree to ship to /root/repo, then the command to run there, after --.").build());
        return commandSpec;
    }

    @Override
    public Integer call() {
        validate();
        Shipment shipment = path == null ? null : Shipment.plan(path, ws.options()); // a bad PATH costs no VM
        long t0 = System.nanoTime();
        VmInfo vm = inv.callWithProgress(VmApi.CREATE, spec.params(false));
        String name = vm.name();
        inv.terminal().hint(String.format("%s ready in %.1f s (%s | %s vcpu | %s MiB)", name, (System.nanoTime() - t0) / 1e9,
                vm.guestIp(), vm.vcpu(), vm.memoryMib()));
        // Ctrl-C ends the JVM through its shutdown hooks, never reaching a finally block: a hook
        // keeps the promise of --rm then.
        DeleteOnce cleanup = new DeleteOnce(name);
        Thread hook = new Thread(cleanup);
        if (rm) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            if (shipment != null) {
                WorkspaceShip.Result shipped = WorkspaceShip.ship(inv, name, shipment, ws.guestPath(), false, false);
                inv.terminal().hint(shipped.summary(name));
                WorkspaceShip.noGitHint(inv, shipped);
            }
            FileSync.copy(inv, name, ws.sync);
            if (detach) {
                inv.render(vm, () -> inv.terminal().println(name));
                return 0;
            }
            int status = GuestShell.exec(GuestShell.argv(GuestShell.info(inv, name), command.isEmpty() ? List.of("-t") : List.of(),
                    remote()));
            if (!rm && command.isEmpty()) {
                inv.terminal().hint("vm " + name + " is still running (banger vm stop " + name + " stops it)");
            }
            return status;
        } finally {
            if (rm) {
                cleanup.run();
                unhook(hook);
            }
        }
    }

    /**
     * Deletes the VM once, from whichever comes first: the end of the command or the shutdown
     * hook. A hook that comes second waits for the delete under way, so the JVM does not halt
     * in the middle of it (the daemon would take the hang-up as a cancel).
     */
    private final class DeleteOnce implements Runnable {
        private final String name;
        private boolean done;

        DeleteOnce(String name) {
            this.name = name;
        }

        @Override
        public synchronized void run() {
            if (!done) {
                done = true;
                inv.call(VmApi.DELETE, new VmApi.DeleteParams(name, true));
            }
        }
    }

    private static void unhook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran) anyway and finds the VM deleted.
        }
    }

    /** In the work tree when one was shipped: CMD there, or a login shell there. */
    private String remote() {
        if (path == null) {
            return command.isEmpty() ? null : command.size() == 1 ? command.getFirst() : GuestShell.remoteCommand(command);
        }
        String cd = "cd " + GuestShell.quote(ws.guestPath()) + " && ";
        if (command.isEmpty()) {
            return cd + "exec \"${SHELL:-/bin/sh}\" -l";
        }
        return cd + (command.size() == 1 ? command.getFirst() : "exec " + GuestShell.remoteCommand(command));
    }

    /** Splits PATH from CMD: the words after -- are the command. */
    private void splitWords() {
        List<String> original = commandSpec.commandLine().getParseResult().originalArgs();
        int dashes = original.indexOf("--");
        int commandWords = dashes < 0 ? 0 : original.size() - dashes - 1;
        command = words.subList(words.size() - commandWords, words.size());
        List<String> before = words.subList(0, words.size() - commandWords);
        if (before.size() > 1 || dashes < 0 && before.size() == 1 && looksLikeCommand(before.getFirst())) {
            throw new ParameterException(commandSpec.commandLine(), "put the command after --, e.g. banger vm run "
                    + (before.size() > 1 && Files.isDirectory(Path.of(before.getFirst()))
                    ? before.getFirst() + " -- " + String.join(" ", before.subList(1, before.size()))
                    : "-- " + String.join(" ", before)));
        }
        path = before.isEmpty() ? null : Path.of(before.getFirst());
    }

    /** A lone word that is no directory but looks like a program (vm run make): the user forgot --. */
    private static boolean looksLikeCommand(String word) {
        return !word.contains("/") && !word.equals(".") && !word.equals("..") && !Files.exists(Path.of(word));
    }

    /** Every contradiction is refused before a VM exists. */
    void validate() {
        splitWords();
        var cl = commandSpec.commandLine();
        if (detach && rm) {
            throw new ParameterException(cl, "-d and --rm contradict each other: a detached VM outlives this command");
        }
        if (detach && !command.isEmpty()) {
            throw new ParameterException(cl, "-d takes no command: use `banger vm ssh NAME -- CMD` once it runs");
        }
        if (!detach && inv.root().json()) {
            throw new ParameterException(cl, "--json: `banger vm run` prints the guest's session, not data (with -d it prints the VM as JSON)");
        }
    }
}
