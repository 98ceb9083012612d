package dev.banger.cli.commands;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.Methods;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.List;
import java.util.Map;
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
            List<Map<String, Object>> doomed = Invocation.asList(inv.call(Methods.VM_LIST, null).get("vms")).stream()
                    .filter(v -> !"running".equals(v.get("state"))).toList();
            if (doomed.isEmpty()) {
                inv.terminal().println("nothing to prune");
                return 0;
            }
            if (System.console() == null) {
                throw BangerException.badRequest("vm prune would delete " + doomed.size() + " VM(s); confirm with -f when not on a terminal");
            }
            doomed.forEach(v -> inv.terminal().println("  " + v.get("name") + "  (" + v.get("state") + ")"));
            inv.terminal().out().print("delete these " + doomed.size() + " VM(s) and their disks? [y/N] ");
            inv.terminal().out().flush();
            String answer = new BufferedReader(new InputStreamReader(System.in)).readLine();
            if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
                inv.terminal().println("nothing deleted");
                return 0;
            }
        }
        Map<String, Object> r = inv.callWithProgress(Methods.VM_PRUNE, Map.of());
        inv.render(r, () -> {
            List<Map<String, Object>> deleted = Invocation.asList(r.get("deleted"));
            deleted.forEach(v -> inv.terminal().println("deleted " + v.get("name")));
            if (deleted.isEmpty()) {
                inv.terminal().println("nothing to prune");
            }
        });
        return 0;
    }
}
