package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "daemon", description = "Start, stop and inspect bangerd when systemd does not manage it.",
        subcommands = {DaemonStartCommand.class, DaemonStopCommand.class, DaemonStatusCommand.class,
                DaemonOperationsCommand.class})
public final class DaemonCommand {
}
