package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "restart", description = "Stop and start VMs: the guest boots afresh.")
public final class VmRestartCommand extends VmFanOut.ByName<VmInfo> {

    VmRestartCommand(RootCommand root) {
        super(root, VmApi.RESTART, "restarted");
    }
}
