package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "start", description = "Start stopped VMs.")
public final class VmStartCommand extends VmFanOut {

    VmStartCommand(RootCommand root) {
        super(root, Methods.VM_START, "started");
    }
}
