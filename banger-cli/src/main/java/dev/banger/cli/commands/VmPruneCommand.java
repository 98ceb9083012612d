package dev.banger.cli.commands;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "prune", description = "Delete every VM that is not running (created, stopped, error).")
public final class VmPruneCommand implements Callable<Integer> {

    private final Invocation inv;

    @Option(names = {"-f", "--force"}, description = "Do not ask for confirmation.")
    boolean force;

    VmPruneCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws IOException {
        if (!force) {
            List<VmInfo> doomed = inv.call(VmApi.LIST, VmApi.ListParams.USERS).vms().stream().filter(v -> !v.live()).toList();
            if (doomed.isEmpty()) {
                inv.terminal().println("nothing to prune");
                return 0;
            }
            if (System.console() == null) {
                throw BangerException.badRequest("vm prune would delete " + doomed.size() + " VM(s); confirm with -f when not on a terminal");
            }
            doomed.forEach(v -> inv.terminal().println("  " + v.name() + "  (" + v.state() + ")"));
            inv.terminal().out().print("delete these " + doomed.size() + " VM(s) and their disks? [y/N] ");
            inv.terminal().out().flush();
            String answer = new BufferedReader(new InputStreamReader(System.in)).readLine();
            if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
                inv.terminal().println("nothing deleted");
                return 0;
            }
        }
        VmApi.Pruned r = inv.callWithProgress(VmApi.PRUNE, NoParams.NONE);
        inv.render(VmApi.PRUNE, r, () -> {
            List<VmInfo> deleted = r.deleted();
            deleted.forEach(v -> inv.terminal().println("deleted " + v.name()));
            if (deleted.isEmpty()) {
                inv.terminal().println("nothing to prune");
            }
        });
        return 0;
    }
}
