package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * Makes every command with a plain constructor call. picocli's default factory uses reflection,
 * whose first use spins method-handle classes that cost ~25 ms of each command's start-up; the
 * commands that act on the daemon get the root (socket, --json, terminal) this way too.
 */
public record CommandFactory(Banger root) implements CommandLine.IFactory {

    private static final Map<Class<?>, Function<Banger, Object>> COMMANDS = Map.ofEntries(
                Map.entry(DaemonOperationsCommand.class, DaemonOperationsCommand::new),
                Map.entry(DaemonStartCommand.class, DaemonStartCommand::new),
                Map.entry(DaemonStatusCommand.class, DaemonStatusCommand::new),
                Map.entry(DaemonStopCommand.class, DaemonStopCommand::new),
                Map.entry(ImageCachePruneCommand.class, ImageCachePruneCommand::new),
                Map.entry(ImageDeleteCommand.class, ImageDeleteCommand::new),
                Map.entry(ImageListCommand.class, ImageListCommand::new),
                Map.entry(ImagePromoteCommand.class, ImagePromoteCommand::new),
                Map.entry(ImageRegisterCommand.class, ImageRegisterCommand::new),
                Map.entry(ImageShowCommand.class, ImageShowCommand::new),
                Map.entry(InternalMakeBundleCommand.class, InternalMakeBundleCommand::new),
                Map.entry(KernelDeleteCommand.class, KernelDeleteCommand::new),
                Map.entry(KernelImportCommand.class, KernelImportCommand::new),
                Map.entry(KernelListCommand.class, KernelListCommand::new),
                Map.entry(KernelPullCommand.class, KernelPullCommand::new),
                Map.entry(KernelShowCommand.class, KernelShowCommand::new),
                Map.entry(PingCommand.class, PingCommand::new),
                Map.entry(VersionCommand.class, VersionCommand::new),
                Map.entry(CompletionCommand.class, root -> new CompletionCommand()),
                Map.entry(DaemonCommand.class, root -> new DaemonCommand()),
                Map.entry(ImageCacheCommand.class, root -> new ImageCacheCommand()),
                Map.entry(ImageCommand.class, root -> new ImageCommand()),
                Map.entry(ImagePullCommand.class, root -> new ImagePullCommand()),
                Map.entry(InternalCommand.class, root -> new InternalCommand()),
                Map.entry(KernelCommand.class, root -> new KernelCommand()));

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        Function<Banger, Object> make = COMMANDS.get(cls);
        return make != null ? cls.cast(make.apply(root)) : CommandLine.defaultFactory().create(cls);
    }
}
