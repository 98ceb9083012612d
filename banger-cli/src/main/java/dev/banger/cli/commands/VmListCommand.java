package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "list", aliases = "ls", description = "List all VMs, running or not.")
public final class VmListCommand extends VmListing {

    VmListCommand(RootCommand root) {
        super(root);
    }

    @Override
    boolean all() {
        return true;
    }
}
