package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "set", description = "Change a stopped VM's vCPUs, memory, work disk size (the disk only grows), NAT or isolation.")
public final class VmSetCommand implements Callable<Integer> {

    private final Invocation inv;

    @Parameters(paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = "--vcpu", description = "Virtual CPUs.")
    Integer vcpu;

    @Option(names = "--memory", description = "Memory: MiB, or a size like 1G.")
    String memory;

    @Option(names = "--disk-size", paramLabel = "SIZE", description = "Work disk size, e.g. 16G; grown at the next start.")
    String diskSize;

    @Option(names = "--nat", negatable = true, description = "Give the VM outbound access through the host, or take it away (--no-nat).")
    Boolean nat;

    @Option(names = "--isolate", negatable = true,
            description = "Keep other guests from reaching the VM and it from them, or let it talk to the other non-isolated VMs (--no-isolate).")
    Boolean isolate;

    VmSetCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        VmInfo v = inv.call(VmApi.SET, new VmApi.SetParams(vm, vcpu, memory, diskSize, nat, isolate));
        inv.render(VmApi.SET, v, () -> VmShowCommand.describe(inv, v));
        return 0;
    }
}
