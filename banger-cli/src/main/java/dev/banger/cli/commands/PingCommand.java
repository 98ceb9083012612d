package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "ping", description = "Check that bangerd answers.")
public final class PingCommand implements Callable<Integer> {

    private final Invocation inv;

    PingCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        Map<String, Object> r = inv.call(Methods.PING, null);
        inv.render(r, () -> inv.terminal().println("pong from bangerd " + r.get("version") + " (pid " + r.get("pid")
                + ", up " + Invocation.duration(r.get("uptime_ms")) + ")"));
        return 0;
    }
}
