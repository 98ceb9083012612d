package dev.banger.cli.commands;

import dev.banger.core.api.SnapshotApi;
import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.units.Sizes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "create", description = "Snapshot a running VM live: it is paused only for the last memory pass and the disk copies.")
public final class VmSnapshotCreateCommand implements Callable<Integer> {

    private final Invocation inv;

    VmSnapshotCreateCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = "--name", paramLabel = "SNAP", description = "The snapshot's name (default: VM-YYYYMMDD-HHMMSS).")
    String name;

    @Override
    public Integer call() {
        SnapshotInfo s = inv.callWithProgress(SnapshotApi.CREATE, new SnapshotParams(vm, name));
        inv.render(SnapshotApi.CREATE, s, () -> inv.terminal().println("snapshot " + s.name() + " of " + s.vmName() + ": paused "
                + s.pauseMillis() + " ms, " + Sizes.format(s.sizeBytes()) + " on disk (" + s.memoryMib() + "M guest memory)"));
        return 0;
    }
}
