package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "vm", description = "Create, run, list and manage microVMs.",
        subcommands = {VmRunCommand.class, VmCreateCommand.class, VmListCommand.class, VmShowCommand.class, VmSshCommand.class,
                VmStartCommand.class, VmStopCommand.class, VmRestartCommand.class, VmKillCommand.class,
                VmPauseCommand.class, VmResumeCommand.class, VmSnapshotCommand.class, VmRestoreCommand.class, VmDeleteCommand.class,
                VmLogsCommand.class, VmSetCommand.class, VmPruneCommand.class,
                VmPortsCommand.class, VmStatsCommand.class, VmForwardCommand.class, VmExecCommand.class, VmCpCommand.class, VmWorkspaceCommand.class})
public final class VmCommand {
}
