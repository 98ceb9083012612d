package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "resume", description = "Resume paused VMs from where they stopped.")
public final class VmResumeCommand extends VmFanOut.ByName<VmInfo> {

    VmResumeCommand(RootCommand root) {
        super(root, VmApi.RESUME, "resumed");
    }
}
