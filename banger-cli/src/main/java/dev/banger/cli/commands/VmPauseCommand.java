package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "pause", description = "Pause VMs: stop their vCPUs, keeping memory, disks and network (resume goes on from there).")
public final class VmPauseCommand extends VmFanOut.ByName<VmInfo> {

    VmPauseCommand(RootCommand root) {
        super(root, VmApi.PAUSE, "paused");
    }
}
