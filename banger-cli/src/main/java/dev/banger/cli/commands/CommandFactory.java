package dev.banger.cli.commands;

import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Makes every command with a plain constructor call. picocli's default factory uses reflection,
 * whose first use spins method-handle classes that cost ~25 ms of each command's start-up; the
 * commands that act on the daemon get the root (socket, --json, terminal) this way too.
 */
public record CommandFactory(RootCommand root) implements CommandLine.IFactory {

    private static final Map<Class<?>, Function<RootCommand, Object>> COMMANDS = Map.ofEntries(
                Map.entry(DaemonOperationsCommand.class, DaemonOperationsCommand::new),
                Map.entry(DaemonStartCommand.class, DaemonStartCommand::new),
                Map.entry(DaemonStatusCommand.class, DaemonStatusCommand::new),
                Map.entry(DaemonStopCommand.class, DaemonStopCommand::new),
                Map.entry(DoctorCommand.class, DoctorCommand::new),
                Map.entry(SystemInstallCommand.class, SystemInstallCommand::new),
                Map.entry(UpdateCommand.class, UpdateCommand::new),
                Map.entry(SystemStatusCommand.class, SystemStatusCommand::new),
                Map.entry(SystemRestartCommand.class, SystemRestartCommand::new),
                Map.entry(SystemUninstallCommand.class, SystemUninstallCommand::new),
                Map.entry(ImageCachePruneCommand.class, ImageCachePruneCommand::new),
                Map.entry(ImageDeleteCommand.class, ImageDeleteCommand::new),
                Map.entry(ImageListCommand.class, ImageListCommand::new),
                Map.entry(ImagePromoteCommand.class, ImagePromoteCommand::new),
                Map.entry(ImageRegisterCommand.class, ImageRegisterCommand::new),
                Map.entry(ImageShowCommand.class, ImageShowCommand::new),
                Map.entry(InternalMakeBundleCommand.class, InternalMakeBundleCommand::new),
                Map.entry(InternalManPagesCommand.class, InternalManPagesCommand::new),
                Map.entry(KernelDeleteCommand.class, KernelDeleteCommand::new),
                Map.entry(KernelImportCommand.class, KernelImportCommand::new),
                Map.entry(KernelListCommand.class, KernelListCommand::new),
                Map.entry(KernelPullCommand.class, KernelPullCommand::new),
                Map.entry(KernelShowCommand.class, KernelShowCommand::new),
                Map.entry(PingCommand.class, PingCommand::new),
                Map.entry(CompleteCommand.class, CompleteCommand::new),
                Map.entry(VersionCommand.class, VersionCommand::new),
                Map.entry(PsCommand.class, PsCommand::new),
                Map.entry(SshConfigCommand.class, SshConfigCommand::new),
                Map.entry(SshProxyCommand.class, SshProxyCommand::new),
                Map.entry(VmCreateCommand.class, VmCreateCommand::new),
                Map.entry(VmDeleteCommand.class, VmDeleteCommand::new),
                Map.entry(VmKillCommand.class, VmKillCommand::new),
                Map.entry(VmListCommand.class, VmListCommand::new),
                Map.entry(VmPauseCommand.class, VmPauseCommand::new),
                Map.entry(VmResumeCommand.class, VmResumeCommand::new),
                Map.entry(VmRestoreCommand.class, VmRestoreCommand::new),
                Map.entry(VmSnapshotCommand.class, root -> new VmSnapshotCommand()),
                Map.entry(VmSnapshotCreateCommand.class, VmSnapshotCreateCommand::new),
                Map.entry(VmSnapshotListCommand.class, VmSnapshotListCommand::new),
                Map.entry(VmSnapshotDeleteCommand.class, VmSnapshotDeleteCommand::new),
                Map.entry(VmLogsCommand.class, VmLogsCommand::new),
                Map.entry(VmPruneCommand.class, VmPruneCommand::new),
                Map.entry(VmPortsCommand.class, VmPortsCommand::new),
                Map.entry(VmForwardCommand.class, root -> new VmForwardCommand()),
                Map.entry(VmForwardCommand.Add.class, VmForwardCommand.Add::new),
                Map.entry(VmForwardCommand.Remove.class, VmForwardCommand.Remove::new),
                Map.entry(VmForwardCommand.ListForwards.class, VmForwardCommand.ListForwards::new),
                Map.entry(VmRestartCommand.class, VmRestartCommand::new),
                Map.entry(VmRunCommand.class, VmRunCommand::new),
                Map.entry(VmSetCommand.class, VmSetCommand::new),
                Map.entry(VmShowCommand.class, VmShowCommand::new),
                Map.entry(VmSshCommand.class, VmSshCommand::new),
                Map.entry(VmStartCommand.class, VmStartCommand::new),
                Map.entry(VmStatsCommand.class, VmStatsCommand::new),
                Map.entry(VmStopCommand.class, VmStopCommand::new),
                Map.entry(VmCommand.class, root -> new VmCommand()),
                Map.entry(VmExecCommand.class, VmExecCommand::new),
                Map.entry(VmCpCommand.class, VmCpCommand::new),
                Map.entry(VmWorkspaceCommand.class, root -> new VmWorkspaceCommand()),
                Map.entry(VmWorkspacePrepareCommand.class, VmWorkspacePrepareCommand::new),
                Map.entry(VmWorkspaceExportCommand.class, VmWorkspaceExportCommand::new),
                Map.entry(WorkspaceOptions.class, root -> new WorkspaceOptions()),
                Map.entry(VmSpecOptions.class, root -> new VmSpecOptions()),
                Map.entry(CompletionCommand.class, CompletionCommand::new),
                Map.entry(DaemonCommand.class, root -> new DaemonCommand()),
                Map.entry(SystemCommand.class, root -> new SystemCommand()),
                Map.entry(ImageCacheCommand.class, root -> new ImageCacheCommand()),
                Map.entry(ImageCommand.class, root -> new ImageCommand()),
                Map.entry(ImagePullCommand.class, root -> new ImagePullCommand()),
                Map.entry(InternalCommand.class, root -> new InternalCommand()),
                Map.entry(KernelCommand.class, root -> new KernelCommand()));

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        Function<RootCommand, Object> make = COMMANDS.get(cls);
        return make != null ? cls.cast(make.apply(root)) : CommandLine.defaultFactory().create(cls);
    }
}
