package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "kill", description = "Kill VMs at once (for when stop hangs); they end up stopped.")
public final class VmKillCommand extends VmFanOut {

    VmKillCommand(RootCommand root) {
        super(root, Methods.VM_KILL, "killed");
    }
}
