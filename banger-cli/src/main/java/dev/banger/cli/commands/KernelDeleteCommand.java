package dev.banger.cli.commands;

import dev.banger.core.api.KernelApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete", aliases = "rm", description = "Delete a kernel (refused while images use it).")
public final class KernelDeleteCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelDeleteCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "KERNEL", description = "The kernel's name.")
    String name;

    @Override
    public Integer call() {
        return inv.callOnName(KernelApi.DELETE, name, false,
                (inv, k) -> inv.terminal().println("deleted kernel " + k.name()));
    }
}
