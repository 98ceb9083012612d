package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.cli.console.Times;
import dev.banger.core.api.SystemApi;
import dev.banger.core.api.SystemApi.OperationList;
import dev.banger.core.model.OperationInfo;
import java.time.Instant;
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
        OperationList r = inv.call(SystemApi.OPERATIONS_LIST, new SystemApi.OperationsListParams(limit));
        inv.render(SystemApi.OPERATIONS_LIST, r, () -> {
            Table t = new Table("OP", "METHOD", "STATE", "PEER", "STARTED", "FINISHED", "ERROR");
            Instant now = Instant.now();
            for (OperationInfo op : r.operations()) {
                t.row(op.id(), op.method(), op.state(), op.peer(), Times.cell(inv.terminal(), op.startedAt(), now),
                        Times.cell(inv.terminal(), op.finishedAt(), now), op.error());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }
}
