package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "workspace", description = "Ship a git work tree into a running VM, and export the guest's changes back as a patch.",
        subcommands = {VmWorkspacePrepareCommand.class, VmWorkspaceExportCommand.class})
public final class VmWorkspaceCommand {
}
