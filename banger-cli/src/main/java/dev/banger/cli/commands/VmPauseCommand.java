package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "pause", description = "Pause VMs: stop their vCPUs, keeping memory, disks and network (resume goes on from there).")
public final class VmPauseCommand extends VmFanOut {

    VmPauseCommand(RootCommand root) {
        super(root, Methods.VM_PAUSE, "paused");
    }
}
