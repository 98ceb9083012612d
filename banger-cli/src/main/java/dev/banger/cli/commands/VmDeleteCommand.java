package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "delete", aliases = "rm", description = "Delete VMs and their disks (irreversible); running ones are killed first.")
public final class VmDeleteCommand extends VmFanOut {

    VmDeleteCommand(Banger root) {
        super(root, Methods.VM_DELETE, "deleted");
    }
}
