package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.SnapshotApi;
import dev.banger.core.api.SnapshotApi.SnapshotList;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.units.Sizes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "list", aliases = "ls", description = "List snapshots, of one VM when it is named.")
public final class VmSnapshotListCommand implements Callable<Integer> {

    private final Invocation inv;

    VmSnapshotListCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "VM", arity = "0..1", description = "VM name or id.")
    String vm;

    @Option(names = "--templates", description = "Also list the warm-start templates bangerd keeps (hidden otherwise).")
    boolean templates;

    @Override
    public Integer call() {
        SnapshotList r = inv.call(SnapshotApi.LIST, new SnapshotApi.ListParams(vm, templates ? Boolean.TRUE : null));
        inv.render(SnapshotApi.LIST, r, () -> {
            Table t = new Table("NAME", "ID", "VM", "VCPU", "MEM", "SIZE", "PAUSE", "CREATED");
            for (SnapshotInfo s : r.snapshots()) {
                t.row(s.name(), s.id(), s.vmDeleted() ? s.vmName() + " (deleted)" : s.vmName(), s.vcpu(), s.memoryMib() + "M", Sizes.format(s.sizeBytes()), s.pauseMillis() + "ms",
                        s.createdAt());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
