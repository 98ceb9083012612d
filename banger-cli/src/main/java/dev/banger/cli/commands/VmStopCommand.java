package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "stop", description = "Stop VMs: sync and power off over SSH, kill after a grace period.")
public final class VmStopCommand extends VmFanOut {

    VmStopCommand(RootCommand root) {
        super(root, Methods.VM_STOP, "stopped");
    }
}
