package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.rpc.Methods;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", description = {"Create a VM, wait for SSH, then open a shell in it or run a command:",
        "  banger vm run -- make test     (exits with the command's status)"})
public final class VmRunCommand implements Callable<Integer> {

    private final Invocation inv;

    @Spec
    CommandSpec commandSpec;

    @Mixin
    VmSpecOptions spec;

    @Option(names = "--rm", description = "Delete the VM when the shell or command ends.")
    boolean rm;

    @Option(names = {"-d", "--detach"}, description = "Create and boot, then exit (no shell).")
    boolean detach;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The command to run, after --.")
    List<String> command = List.of();

    VmRunCommand(Banger root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        validate();
        long t0 = System.nanoTime();
        Map<String, Object> vm = inv.callWithProgress(Methods.VM_CREATE, spec.params(false));
        String name = String.valueOf(vm.get("name"));
        inv.terminal().hint(String.format("%s ready in %.1f s (%s | %s vcpu | %s MiB)", name, (System.nanoTime() - t0) / 1e9,
                vm.get("guest_ip"), vm.get("vcpu"), vm.get("memory_mib")));
        if (detach) {
            inv.render(vm, () -> inv.terminal().println(name));
            return 0;
        }
        // Ctrl-C ends the JVM through its shutdown hooks, never reaching a finally block: a hook
        // keeps the promise of --rm then.
        DeleteOnce cleanup = new DeleteOnce(name);
        Thread hook = new Thread(cleanup);
        if (rm) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            int status = GuestShell.run(inv, name, command);
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
                inv.call(Methods.VM_DELETE, Map.of("name", name));
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

    /** Every contradiction is refused before a VM exists. */
    private void validate() {
        var cl = commandSpec.commandLine();
        if (detach && rm) {
            throw new ParameterException(cl, "-d and --rm contradict each other: a detached VM outlives this command");
        }
        if (detach && !command.isEmpty()) {
            throw new ParameterException(cl, "-d takes no command: use `banger vm ssh NAME -- CMD` once it runs");
        }
        List<String> original = cl.getParseResult().originalArgs();
        if (!command.isEmpty() && !original.contains("--")) {
            throw new ParameterException(cl, "put the command after --, e.g. banger vm run -- " + String.join(" ", command)
                    + " (running a local directory in the VM is not supported yet)");
        }
    }
}
