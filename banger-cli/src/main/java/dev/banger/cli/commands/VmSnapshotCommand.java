package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "snapshot", description = "Live snapshots of running VMs (memory, devices and disks), for vm restore.",
        subcommands = {VmSnapshotCreateCommand.class, VmSnapshotListCommand.class, VmSnapshotDeleteCommand.class})
public final class VmSnapshotCommand {
}
