package dev.banger.cli.commands;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.core.BuildInfo;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.model.VersionInfo;
import dev.banger.core.rpc.Protocol;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

public final class VersionCommand implements Callable<Integer>, DeclaredCommand {

    static final String NAME = "version";

    private final Invocation inv;

    VersionCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(NAME);
        spec.usageMessage().description("Show the full version of banger and of the running bangerd.");
        return spec;
    }

    @Override
    public Integer call() {
        BuildInfo b = BuildInfo.current();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", b.version());
        out.put("commit", b.commit());
        out.put("built", b.built());
        out.put("protocol", Protocol.VERSION);
        VersionInfo daemon;
        String unreachable = null;
        try {
            daemon = inv.call(SystemApi.VERSION, NoParams.NONE);
        } catch (DaemonUnreachableException e) {
            daemon = null;
            unreachable = e.getMessage();
        }
        out.put("daemon", SystemApi.VERSION.result().write(daemon));
        VersionInfo d = daemon;
        String why = unreachable;
        inv.render(out, () -> {
            var t = inv.terminal();
            t.println("banger    " + b.version());
            t.println("commit    " + b.commit());
            t.println("built     " + b.built());
            t.println("protocol  " + Protocol.VERSION);
            t.println(d == null ? "bangerd   not reachable: " + why
                    : "bangerd   " + d.version() + " (commit " + d.commit() + ", built " + d.built()
                    + ", protocol " + d.protocol() + ")");
        });
        return 0;
    }
}
