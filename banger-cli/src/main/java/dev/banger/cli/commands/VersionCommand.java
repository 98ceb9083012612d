package dev.banger.cli.commands;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.core.BuildInfo;
import dev.banger.core.rpc.Methods;
import dev.banger.core.rpc.Protocol;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Show the full version of banger and of the running bangerd.")
public final class VersionCommand implements Callable<Integer> {

    private final Invocation inv;

    VersionCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        BuildInfo b = BuildInfo.current();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", b.version());
        out.put("commit", b.commit());
        out.put("built", b.built());
        out.put("protocol", Protocol.VERSION);
        Map<String, Object> daemon;
        String unreachable = null;
        try {
            daemon = inv.call(Methods.VERSION, null);
        } catch (DaemonUnreachableException e) {
            daemon = null;
            unreachable = e.getMessage();
        }
        out.put("daemon", daemon);
        Map<String, Object> d = daemon;
        String why = unreachable;
        inv.render(out, () -> {
            var t = inv.terminal();
            t.println("banger    " + b.version());
            t.println("commit    " + b.commit());
            t.println("built     " + b.built());
            t.println("protocol  " + Protocol.VERSION);
            t.println(d == null ? "bangerd   not reachable: " + why
                    : "bangerd   " + d.get("version") + " (commit " + d.get("commit") + ", built " + d.get("built")
                    + ", protocol " + d.get("protocol") + ")");
        });
        return 0;
    }
}
