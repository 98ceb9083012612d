package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "kernel", description = "Import, pull (from the kernel catalog), list, show and delete guest kernels.",
        subcommands = {KernelImportCommand.class, KernelPullCommand.class, KernelListCommand.class, KernelShowCommand.class,
                KernelDeleteCommand.class})
public final class KernelCommand {
}
