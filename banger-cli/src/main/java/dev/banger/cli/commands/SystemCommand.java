package dev.banger.cli.commands;

import dev.banger.cli.exec.ProcessLauncher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code banger system ...}: each subcommand runs {@code bangerd system ...} (next to this
 * launcher) on this terminal. The install logic and the tools it starts (groupadd, usermod,
 * systemctl) belong to the daemon's module, whose CommandRunner is the one place tools start.
 */
@Command(name = "system", description = "Install banger as a systemd service (bangerd.service) and manage that install.",
        subcommands = {SystemInstallCommand.class, SystemStatusCommand.class, SystemRestartCommand.class, SystemUninstallCommand.class})
public final class SystemCommand {

    /** Runs {@code bangerd system ARGS} on our terminal; its exit status is ours. */
    static int passThrough(RootCommand root, List<String> args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("system"));
        argv.addAll(args);
        return runBangerd(root, argv);
    }

    /** Runs {@code bangerd ARGS} (next to this launcher) on our terminal; {@code banger update} too. */
    static int runBangerd(RootCommand root, List<String> args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(DaemonStartCommand.locateDaemon(root).toString());
        argv.addAll(args);
        return ProcessLauncher.runInteractive(argv);
    }
}
