package dev.banger.cli.commands;

import dev.banger.core.api.KernelApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "pull", description = {"Download a kernel of the kernel catalog, check its sha256 and import it under its catalog name.",
        "See `banger kernel list --available` for the catalog. Downloads are cached: a second pull fetches nothing."})
public final class KernelPullCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelPullCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "NAME", description = "The catalog entry, e.g. debian-12-cloud.")
    String name;

    @Override
    public Integer call() {
        return inv.callOnName(KernelApi.PULL, name, true, KernelListCommand::describe);
    }
}
