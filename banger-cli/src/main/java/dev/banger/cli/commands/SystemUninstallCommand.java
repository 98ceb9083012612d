package dev.banger.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "uninstall", description = {"Stop bangerd.service and remove what install wrote (as root).",
        "Keeps the group banger and the state (images, kernels, VMs) unless --purge."})
public final class SystemUninstallCommand implements Callable<Integer>, PrintsNoData {

    private final RootCommand root;

    SystemUninstallCommand(RootCommand root) {
        this.root = root;
    }

    @Option(names = "--purge", description = "Also delete the state, cache and runtime directories.")
    boolean purge;

    @Option(names = "--root", paramLabel = "DIR", hidden = true, description = "The install under DIR instead of / (tests).")
    Path scratchRoot;

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(List.of("uninstall"));
        if (purge) args.add("--purge");
        if (scratchRoot != null) args.addAll(List.of("--root", scratchRoot.toAbsolutePath().toString()));
        return SystemCommand.passThrough(root, args);
    }
}
