package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.units.Sizes;
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
        VmApi.VmList r = inv.call(VmApi.LIST, NoParams.NONE);
        inv.render(VmApi.LIST, r, () -> {
            Table t = new Table("NAME", "ID", "STATE", "IMAGE", "IP", "VCPU", "MEM", "DISK", "CREATED");
            for (VmInfo v : r.vms()) {
                t.row(v.name(), v.id(), v.state(), v.imageName(), v.guestIp(), v.vcpu(), v.memoryMib() + "M", Sizes.format(v.diskBytes()),
                        v.createdAt());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
