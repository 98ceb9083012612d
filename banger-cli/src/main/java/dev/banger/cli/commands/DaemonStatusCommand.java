package dev.banger.cli.commands;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.model.PingResult;
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
        PingResult ping = inv.call(SystemApi.PING, NoParams.NONE);
        Map<String, Object> status = new LinkedHashMap<>(SystemApi.PING.result().write(ping));
        status.put("socket", inv.root().socket().toString());
        inv.render(status, () -> {
            var t = inv.terminal();
            t.println("bangerd " + ping.version() + " is running");
            t.println("  pid     " + ping.pid());
            t.println("  uptime  " + Invocation.duration(ping.uptimeMs()));
            t.println("  socket  " + inv.root().socket());
        });
        return 0;
    }
}
