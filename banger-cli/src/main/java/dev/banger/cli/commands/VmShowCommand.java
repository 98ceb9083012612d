package dev.banger.cli.commands;

import dev.banger.core.units.Sizes;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "show", description = "Show one VM: spec, address, state and, while it runs, its process.")
public final class VmShowCommand implements Callable<Integer> {

    private final Invocation inv;

    @Parameters(paramLabel = "VM", description = "VM name or id.")
    String vm;

    VmShowCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        return inv.callOnName(Methods.VM_SHOW, vm, false, (i, v) -> {
            describe(i, v);
            for (String f : VmForwardCommand.specs(i.call(Methods.VM_FORWARD_LIST, Invocation.params("name", v.get("id"))).get("forwards"))) {
                i.terminal().println("forward    " + VmForwardCommand.describe(f, String.valueOf(v.get("name"))));
            }
        });
    }

    /** The VM's card, as `vm show` and the end of `vm create` print it. */
    static void describe(Invocation inv, Map<String, Object> v) {
        var t = inv.terminal();
        t.println("name       " + v.get("name") + "  (" + v.get("name") + ".vm)");
        t.println("id         " + v.get("id"));
        t.println("state      " + v.get("state"));
        t.println("image      " + v.get("image_name"));
        t.println("address    " + v.get("guest_ip"));
        t.println("spec       " + v.get("vcpu") + " vcpu | " + v.get("memory_mib") + " MiB | "
                + Sizes.format(((Number) v.get("disk_bytes")).longValue()) + " disk");
        t.println("nat        " + (Boolean.TRUE.equals(v.get("nat")) ? "on" : "off"));
        t.println("isolate    " + (Boolean.FALSE.equals(v.get("isolate")) ? "off: reaches the other --no-isolate VMs"
                : "on: no other guest reaches it"));
        if (v.get("last_error") != null) {
            t.println("error      " + v.get("last_error"));
        }
        Map<String, Object> r = Invocation.asMap(v.get("runtime"));
        if (!r.isEmpty()) {
            t.println("hypervisor " + r.get("hypervisor") + " (" + r.get("accel") + "), pid " + r.get("pid"));
            t.println("tap        " + r.get("tap"));
            t.println("console    " + r.get("console_log"));
        }
    }
}
