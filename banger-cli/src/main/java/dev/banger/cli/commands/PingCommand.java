package dev.banger.cli.commands;

import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.model.PingResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

public final class PingCommand implements Callable<Integer>, DeclaredCommand {

    static final String NAME = "ping";

    private final Invocation inv;

    PingCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(NAME);
        spec.usageMessage().description("Check that bangerd answers.");
        return spec;
    }

    @Override
    public Integer call() {
        PingResult r = inv.call(SystemApi.PING, NoParams.NONE);
        inv.render(SystemApi.PING, r, () -> inv.terminal().println("pong from bangerd " + r.version() + " (pid " + r.pid()
                + ", up " + Invocation.duration(r.uptimeMs()) + ")"));
        return 0;
    }
}
