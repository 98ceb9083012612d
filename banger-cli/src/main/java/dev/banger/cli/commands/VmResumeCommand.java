package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import picocli.CommandLine.Command;

@Command(name = "resume", description = "Resume paused VMs from where they stopped.")
public final class VmResumeCommand extends VmFanOut {

    VmResumeCommand(RootCommand root) {
        super(root, Methods.VM_RESUME, "resumed");
    }
}
