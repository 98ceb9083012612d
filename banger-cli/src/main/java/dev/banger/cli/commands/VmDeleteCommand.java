package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "delete", aliases = "rm", description = "Delete VMs and their disks (irreversible); running ones are killed first.")
public final class VmDeleteCommand extends VmFanOut<VmInfo> {

    VmDeleteCommand(RootCommand root) {
        super(root, VmApi.DELETE, "deleted");
    }

    /** The daemon answers with the VM as it was; its state then would only mislead. */
    @Override
    String outcome(VmInfo vm) {
        return "";
    }
}
