package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "create", description = "Create a VM and boot it until SSH answers.")
public final class VmCreateCommand implements Callable<Integer> {

    private final Invocation inv;

    @Mixin
    VmSpecOptions spec;

    @Option(names = "--no-start", description = "Only reserve the VM (name, address); `banger vm start` boots it.")
    boolean noStart;

    @Option(names = "--from-snapshot", paramLabel = "SNAPSHOT",
            description = "Make the VM a clone of a snapshot: it goes on from the snapshot's memory on copy-on-write copies of its "
                    + "disks, with its own address, MAC, hostname, machine-id and SSH host key. Its size and image are the snapshot's.")
    String fromSnapshot;

    VmCreateCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        VmInfo vm = inv.callWithProgress(VmApi.CREATE, spec.params(noStart, fromSnapshot));
        inv.render(VmApi.CREATE, vm, () -> {
            VmShowCommand.describe(inv, vm);
            if (!noStart) {
                inv.terminal().hint(String.format("ready in %.1f s", (System.nanoTime() - t0) / 1e9));
            }
        });
        return 0;
    }
}
