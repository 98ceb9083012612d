package dev.banger.cli.commands;

import dev.banger.core.api.KernelApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "show", description = "Show one kernel.")
public final class KernelShowCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelShowCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "KERNEL", description = "The kernel's name.")
    String name;

    @Override
    public Integer call() {
        return inv.callOnName(KernelApi.SHOW, name, false, KernelListCommand::describe);
    }
}
