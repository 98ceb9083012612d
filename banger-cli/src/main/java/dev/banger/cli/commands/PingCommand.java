package dev.banger.cli.commands;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.model.PingResult;
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
        PingResult r = inv.call(SystemApi.PING, NoParams.NONE);
        inv.render(SystemApi.PING, r, () -> inv.terminal().println("pong from bangerd " + r.version() + " (pid " + r.pid()
                + ", up " + Invocation.duration(r.uptimeMs()) + ")"));
        return 0;
    }
}
