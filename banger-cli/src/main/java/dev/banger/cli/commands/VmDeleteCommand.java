package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "delete", aliases = "rm", description = "Delete VMs and their disks (irreversible); running ones are killed first.")
public final class VmDeleteCommand extends VmFanOut {

    VmDeleteCommand(RootCommand root) {
        super(root, Methods.VM_DELETE, "deleted");
    }

    /** The daemon answers with the VM as it was; its state then would only mislead. */
    @Override
    String outcome(Map<String, Object> vm) {
        return "";
    }
}
