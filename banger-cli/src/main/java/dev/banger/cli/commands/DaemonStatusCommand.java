package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "status", description = "Show whether bangerd runs, its pid, uptime, version and socket (exit 3 when not running).")
public final class DaemonStatusCommand implements Callable<Integer> {

    private final Invocation inv;

    DaemonStatusCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        Map<String, Object> ping = inv.call(Methods.PING, null);
        Map<String, Object> status = new LinkedHashMap<>(ping);
        status.put("socket", inv.root().socket().toString());
        inv.render(status, () -> {
            var t = inv.terminal();
            t.println("bangerd " + ping.get("version") + " is running");
            t.println("  pid     " + ping.get("pid"));
            t.println("  uptime  " + Invocation.duration(ping.get("uptime_ms")));
            t.println("  socket  " + inv.root().socket());
        });
        return 0;
    }
}
