package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.cli.console.Times;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "operations", aliases = "ops", description = "List running and recent daemon operations, newest first.")
public final class DaemonOperationsCommand implements Callable<Integer> {

    private final Invocation inv;

    DaemonOperationsCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N rows (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        Map<String, Object> r = inv.call(Methods.OPERATIONS_LIST, Map.of("limit", limit));
        inv.render(r, () -> {
            Table t = new Table("OP", "METHOD", "STATE", "PEER", "STARTED", "FINISHED", "ERROR");
            java.time.Instant now = java.time.Instant.now();
            for (Map<String, Object> op : Invocation.asList(r.get("operations"))) {
                t.row(op.get("id"), op.get("method"), op.get("state"), op.get("peer"), Times.cell(inv.terminal(), op.get("started_at"), now),
                        Times.cell(inv.terminal(), op.get("finished_at"), now), op.get("error"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
