package dev.banger.cli.commands;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "ps", description = "List VMs (same as `banger vm list`).")
public final class PsCommand implements Callable<Integer> {

    private final Invocation inv;

    PsCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        return VmListCommand.print(inv);
    }
}
