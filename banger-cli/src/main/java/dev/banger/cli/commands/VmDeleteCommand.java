package dev.banger.cli.commands;

import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "delete", aliases = "rm", description = "Delete VMs and their disks (irreversible); a running VM only with --force.")
public final class VmDeleteCommand extends VmFanOut {

    @Option(names = {"-f", "--force"}, description = "Delete running VMs too: they are killed first.")
    boolean force;

    VmDeleteCommand(RootCommand root) {
        super(root, Methods.VM_DELETE, "deleted");
    }

    @Override
    String refusal(Map<String, Object> vm) {
        return force || !VmInfo.RUNNING.equals(vm.get("state")) ? null
                : "VM '" + vm.get("name") + "' is running: stop it first, or delete it with -f/--force";
    }

    /** The daemon answers with the VM as it was; its state then would only mislead. */
    @Override
    String outcome(Map<String, Object> vm) {
        return "";
    }
}
