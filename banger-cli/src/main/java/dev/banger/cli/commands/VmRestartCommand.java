package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "restart", description = "Stop and start VMs: the guest boots afresh.")
public final class VmRestartCommand extends VmFanOut {

    VmRestartCommand(RootCommand root) {
        super(root, Methods.VM_RESTART, "restarted");
    }
}
