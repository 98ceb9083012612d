package dev.banger.cli.commands;

import dev.banger.core.api.SnapshotApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete", aliases = "rm", description = "Delete a snapshot and its files.")
public final class VmSnapshotDeleteCommand implements Callable<Integer> {

    private final Invocation inv;

    VmSnapshotDeleteCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "SNAP", description = "Snapshot name or id.")
    String snapshot;

    @Override
    public Integer call() {
        return inv.callOnName(SnapshotApi.DELETE, snapshot, false,
                (inv, s) -> inv.terminal().println("deleted snapshot " + s.name() + " (" + s.id() + ")"));
    }
}
