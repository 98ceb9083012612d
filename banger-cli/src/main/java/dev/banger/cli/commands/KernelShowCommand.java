package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", description = "Show one kernel.")
public final class KernelShowCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
        return Invocation.of(spec).callOnName(Methods.KERNEL_SHOW, name, false, KernelListCommand::describe);
    }
}
