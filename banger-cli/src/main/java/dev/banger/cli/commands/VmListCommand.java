package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.units.Sizes;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "list", aliases = "ls", description = "List VMs.")
public final class VmListCommand implements Callable<Integer> {

    private final Invocation inv;

    VmListCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        return print(inv);
    }

    /** Shared with {@code banger ps}. */
    static int print(Invocation inv) {
        Map<String, Object> r = inv.call(Methods.VM_LIST, null);
        inv.render(r, () -> {
            Table t = new Table("NAME", "ID", "STATE", "IMAGE", "IP", "VCPU", "MEM", "DISK", "CREATED");
            for (Map<String, Object> v : Invocation.asList(r.get("vms"))) {
                t.row(v.get("name"), v.get("id"), v.get("state"), v.get("image_name"), v.get("guest_ip"), v.get("vcpu"),
                        v.get("memory_mib") + "M", Sizes.format(((Number) v.get("disk_bytes")).longValue()), v.get("created_at"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
