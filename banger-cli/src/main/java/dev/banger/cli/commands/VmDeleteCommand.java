package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "delete", aliases = "rm", description = "Delete VMs and their disks (irreversible); a running VM only with --force.")
public final class VmDeleteCommand extends VmFanOut<VmApi.DeleteParams, VmInfo> {

    @Option(names = {"-f", "--force"}, description = "Delete running VMs too: they are killed first.")
    boolean force;

    VmDeleteCommand(RootCommand root) {
        super(root, VmApi.DELETE, "deleted");
    }

    /** The daemon checks again under the VM's lock: a VM started since the check here is refused too. */
    @Override
    VmApi.DeleteParams params(String id) {
        return new VmApi.DeleteParams(id, force);
    }

    @Override
    String refusal(VmInfo vm) {
        return force || !vm.live() ? null
                : "VM '" + vm.name() + "' is " + vm.state() + ": stop it first, or delete it with -f/--force";
    }

    /** The daemon answers with the VM as it was; its state then would only mislead. */
    @Override
    String outcome(VmInfo vm) {
        return "";
    }
}
