package dev.banger.cli.commands;

import static dev.banger.cli.commands.Binding.bind;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code banger vm create}, declared in code because it shares {@code vm run}'s options ({@link VmSpecOptions}). */
public final class VmCreateCommand implements Callable<Integer>, DeclaredCommand {

    static final String NAME = "create";

    private final Invocation inv;

    final VmSpecOptions spec = new VmSpecOptions();
    boolean noStart;
    String fromSnapshot;

    VmCreateCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public CommandSpec spec() {
        CommandSpec command = CommandSpec.wrapWithoutInspection(this).name(NAME);
        command.usageMessage().description("Create a VM and boot it until SSH answers.");
        command.addMixin(VmSpecOptions.MIXIN, spec.mixin());
        command.addOption(bind(OptionSpec.builder("--no-start").type(boolean.class).paramLabel("<noStart>"), () -> noStart, v -> noStart = v)
                .description("Only reserve the VM (name, address); `banger vm start` boots it.").build());
        command.addOption(bind(OptionSpec.builder("--from-snapshot").type(String.class).paramLabel("SNAPSHOT"),
                () -> fromSnapshot, v -> fromSnapshot = v)
                .description("Make the VM a clone of a snapshot: it goes on from the snapshot's memory on copy-on-write copies of its "
                        + "disks, with its own address, MAC, hostname, machine-id and SSH host key. Its size and image are the snapshot's.")
                .build());
        return command;
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
