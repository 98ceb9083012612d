package dev.banger.cli.commands;

import dev.banger.cli.workspace.Shipment;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "prepare", description = {"Ship the git work tree at PATH into a running VM (at /root/repo unless --workdir).",
        "It ships tracked files as they are on disk, the guest's HEAD the host's. Shipping again sends only what changed.",
        "Files are read by you, as you. Refuses to overwrite changes made in the guest unless --force."})
public final class VmWorkspacePrepareCommand implements Callable<Integer> {

    private final Invocation inv;

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Parameters(index = "1", paramLabel = "PATH", description = "A directory in a git work tree (its top level is shipped).")
    Path path;

    @Mixin
    WorkspaceOptions ws;

    @Option(names = "--force", description = "Overwrite files the guest changed since the last ship.")
    boolean force;

    VmWorkspacePrepareCommand(RootCommand root) {
        this.inv = new Invocation(root);
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
