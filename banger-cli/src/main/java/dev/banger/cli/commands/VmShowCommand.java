package dev.banger.cli.commands;

import dev.banger.core.api.NameParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.api.VmApi.ForwardsInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.units.Sizes;
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
        VmInfo v = inv.call(VmApi.SHOW, new NameParams(vm));
        ForwardsInfo forwards = inv.call(VmApi.FORWARD_LIST, new NameParams(v.id()));
        Map<String, Object> json = VmApi.SHOW.result().write(v);
        json.put("forwards", forwards.forwards());
        inv.render(json, () -> {
            describe(inv, v);
            for (String f : forwards.forwards()) {
                inv.terminal().println("forward    " + VmForwardCommand.describe(f, v.name()));
            }
        });
        return 0;
    }

    /** The VM's card, as `vm show` and the end of `vm create` print it. */
    static void describe(Invocation inv, VmInfo v) {
        var t = inv.terminal();
        t.println("name       " + v.name() + "  (" + v.name() + ".vm)");
        t.println("id         " + v.id());
        t.println("state      " + v.state());
        t.println("image      " + v.imageName());
        if (v.templateId() != null) {
            t.println("start      started from template " + v.templateId());
        } else if (v.fromSnapshot() != null) {
            t.println("clone of   snapshot " + v.fromSnapshot());
        } else {
            t.println("start      booted");
        }
        t.println("address    " + v.guestIp());
        t.println("spec       " + v.vcpu() + " vcpu | " + v.memoryMib() + " MiB | " + Sizes.format(v.diskBytes()) + " disk");
        t.println("nat        " + (v.nat() ? "on" : "off"));
        t.println("isolate    " + (!v.isolate() ? "off: reaches the other --no-isolate VMs" : "on: no other guest reaches it"));
        if (v.lastError() != null) {
            t.println("error      " + v.lastError());
        }
        VmInfo.Runtime r = v.runtime();
        if (r != null) {
            t.println("hypervisor " + r.hypervisor() + " (" + r.accel() + "), pid " + r.pid());
            t.println("tap        " + r.tap());
            t.println("console    " + r.consoleLog());
        }
    }
}
