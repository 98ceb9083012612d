package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", description = "Show the install, the state of bangerd.service and whether bangerd answers (exit 1 unless all is well).")
public final class SystemStatusCommand implements Callable<Integer> {

    private final RootCommand root;

    SystemStatusCommand(RootCommand root) {
        this.root = root;
    }

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "The install under DIR instead of / (tests).")
    Path scratchRoot;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("status"));
        if (scratchRoot != null) args.addAll(List.of("--root", scratchRoot.toAbsolutePath().toString()));
        if (root.json()) args.add("--json");
        return SystemCommand.passThrough(root, args);
    }
}
