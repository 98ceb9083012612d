package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.rpc.Methods;
import dev.banger.core.units.Sizes;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "list", aliases = "ls", description = "List snapshots, of one VM when it is named.")
public final class VmSnapshotListCommand implements Callable<Integer> {

    private final Invocation inv;

    VmSnapshotListCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "VM", arity = "0..1", description = "VM name or id.")
    String vm;

    @Override
    public Integer call() {
        Map<String, Object> r = inv.call(Methods.VM_SNAPSHOT_LIST, Invocation.params("name", vm));
        inv.render(r, () -> {
            Table t = new Table("NAME", "ID", "VM", "VCPU", "MEM", "SIZE", "PAUSE", "CREATED");
            for (Map<String, Object> s : Invocation.asList(r.get("snapshots"))) {
                t.row(s.get("name"), s.get("id"), s.get("vm_name"), s.get("vcpu"), s.get("memory_mib") + "M",
                        Sizes.format(((Number) s.get("size_bytes")).longValue()), s.get("pause_millis") + "ms", s.get("created_at"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
