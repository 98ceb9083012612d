package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "delete", aliases = "rm", description = "Delete a kernel (refused while images use it).")
public final class KernelDeleteCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
        return Invocation.of(spec).callOnName(Methods.KERNEL_DELETE, name, false,
                (inv, k) -> inv.terminal().println("deleted kernel " + k.get("name")));
    }
}
