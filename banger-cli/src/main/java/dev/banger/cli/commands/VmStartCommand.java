package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "start", description = "Start stopped VMs.")
public final class VmStartCommand extends VmFanOut {

    VmStartCommand(Banger root) {
        super(root, Methods.VM_START, "started");
    }
}
