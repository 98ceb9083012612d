package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import dev.banger.core.units.Sizes;
import java.util.Map;
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
        Map<String, Object> s = inv.callWithProgress(Methods.VM_SNAPSHOT_CREATE, Invocation.params("name", vm, "snapshot", name));
        inv.render(s, () -> inv.terminal().println("snapshot " + s.get("name") + " of " + s.get("vm_name") + ": paused "
                + s.get("pause_millis") + " ms, " + Sizes.format(((Number) s.get("size_bytes")).longValue()) + " on disk ("
                + s.get("memory_mib") + "M guest memory)"));
        return 0;
    }
}
