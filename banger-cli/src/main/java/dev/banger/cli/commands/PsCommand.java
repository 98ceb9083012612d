package dev.banger.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ps", description = "List running VMs, or all of them with -a, like docker ps.")
public final class PsCommand extends VmListing {

    @Option(names = {"-a", "--all"}, description = "Stopped VMs too.")
    boolean all;

    PsCommand(RootCommand root) {
        super(root);
    }

    @Override
    boolean all() {
        return all;
    }
}
