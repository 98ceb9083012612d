package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "restart", description = "Restart bangerd.service (running VMs keep running) and wait up to 15 s for ping.")
public final class SystemRestartCommand implements Callable<Integer>, PrintsNoData {

    private final RootCommand root;

    SystemRestartCommand(RootCommand root) {
        this.root = root;
    }

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "The install under DIR instead of / (tests).")
    Path scratchRoot;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("restart"));
        if (scratchRoot != null) args.addAll(List.of("--root", scratchRoot.toAbsolutePath().toString()));
        return SystemCommand.passThrough(root, args);
    }
}
