package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "kernel", description = "Import, list, show and delete guest kernels.",
        subcommands = {KernelImportCommand.class, KernelListCommand.class, KernelShowCommand.class, KernelDeleteCommand.class})
public final class KernelCommand {
}
