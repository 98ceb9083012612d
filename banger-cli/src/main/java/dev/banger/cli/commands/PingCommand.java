package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "ping", description = "Check that bangerd answers.")
public final class PingCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Invocation inv = Invocation.of(spec);
        Map<String, Object> r = inv.call(Methods.PING, null);
        inv.render(r, () -> inv.terminal().println("pong from bangerd " + r.get("version") + " (pid " + r.get("pid")
                + ", up " + Invocation.duration(r.get("uptime_ms")) + ")"));
        return 0;
    }
}
