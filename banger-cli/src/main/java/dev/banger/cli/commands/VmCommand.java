package dev.banger.cli.commands;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code vm} group, declared in code so that {@code banger vm run} reads no annotation ({@link DeclaredCommand}). */
public final class VmCommand implements DeclaredCommand {

    static final String NAME = "vm";

    @Override
    public CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(NAME);
        spec.usageMessage().description("Create, run, list and manage microVMs.");
        return spec;
    }

    @Override
    public List<Class<?>> subcommands() {
        return List.of(VmRunCommand.class, VmCreateCommand.class, VmListCommand.class, VmShowCommand.class, VmSshCommand.class,
                VmStartCommand.class, VmStopCommand.class, VmRestartCommand.class, VmKillCommand.class,
                VmPauseCommand.class, VmResumeCommand.class, VmSnapshotCommand.class, VmRestoreCommand.class, VmDeleteCommand.class,
                VmLogsCommand.class, VmSetCommand.class, VmPruneCommand.class,
                VmPortsCommand.class, VmStatsCommand.class, VmForwardCommand.class, VmExecCommand.class, VmCpCommand.class, VmWorkspaceCommand.class);
    }
}
