package dev.banger.cli.commands;

import dev.banger.core.api.SnapshotApi;
import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.model.VmInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = "Roll a VM back to one of its snapshots: disks, memory and processes as they were.")
public final class VmRestoreCommand implements Callable<Integer> {

    private final Invocation inv;

    VmRestoreCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Parameters(index = "1", paramLabel = "SNAP", description = "Snapshot name or id.")
    String snapshot;

    @Override
    public Integer call() {
        VmInfo v = inv.callWithProgress(SnapshotApi.RESTORE, new SnapshotParams(vm, snapshot));
        inv.render(SnapshotApi.RESTORE, v, () -> inv.terminal().println("restored " + v.name() + " from " + snapshot + " (" + v.state() + ")"));
        return 0;
    }
}
