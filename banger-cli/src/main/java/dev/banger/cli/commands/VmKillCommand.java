package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "kill", description = "Kill VMs at once (for when stop hangs); they end up stopped.")
public final class VmKillCommand extends VmFanOut.ByName<VmInfo> {

    VmKillCommand(RootCommand root) {
        super(root, VmApi.KILL, "killed");
    }
}
