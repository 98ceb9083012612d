package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "stop", description = "Stop VMs: sync and power off over SSH, kill after a grace period.")
public final class VmStopCommand extends VmFanOut.ByName<VmInfo> {

    VmStopCommand(RootCommand root) {
        super(root, VmApi.STOP, "stopped");
    }
}
