package dev.banger.cli.commands;

import static dev.banger.cli.commands.Binding.bind;

import dev.banger.cli.workspace.Shipment;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code banger vm workspace prepare}, declared in code because it shares {@code vm run}'s options ({@link WorkspaceOptions}). */
public final class VmWorkspacePrepareCommand implements Callable<Integer>, DeclaredCommand {

    static final String NAME = "prepare";

    private final Invocation inv;

    String vm;
    Path path;
    final WorkspaceOptions ws = new WorkspaceOptions();
    boolean force;

    VmWorkspacePrepareCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public CommandSpec spec() {
        CommandSpec command = CommandSpec.wrapWithoutInspection(this).name(NAME);
        command.usageMessage().description("Ship the git work tree at PATH into a running VM (at /root/repo unless --workdir).",
                "It ships tracked files as they are on disk, the guest's HEAD the host's. Shipping again sends only what changed.",
                "Files are read by you, as you. Refuses to overwrite changes made in the guest unless --force.");
        command.addPositional(bind(PositionalParamSpec.builder().index("0").type(String.class).required(true).paramLabel("VM"), () -> vm, v -> vm = v)
                .description("VM name or id.").build());
        command.addPositional(bind(PositionalParamSpec.builder().index("1").type(Path.class).required(true).paramLabel("PATH"), () -> path, v -> path = v)
                .description("A directory in a git work tree (its top level is shipped).").build());
        command.addMixin(WorkspaceOptions.MIXIN, ws.mixin());
        command.addOption(bind(OptionSpec.builder("--force").type(boolean.class).paramLabel("<force>"), () -> force, v -> force = v)
                .description("Overwrite files the guest changed since the last ship.").build());
        return command;
    }

    @Override
    public Integer call() {
        Shipment s = Shipment.plan(path, ws.options());
        WorkspaceShip.Result r = WorkspaceShip.ship(inv, vm, s, ws.workdir, true, force);
        FileSync.copy(inv, vm, ws.sync);
        inv.render(r.record(), () -> {
            inv.terminal().println(r.sent() == 0 && r.deleted() == 0 && !r.full() ? "nothing changed since the last ship into " + vm
                    : r.summary(vm));
            WorkspaceShip.noGitHint(inv, r);
        });
        return 0;
    }
}
