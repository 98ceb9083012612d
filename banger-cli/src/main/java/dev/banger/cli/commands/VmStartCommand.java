package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import picocli.CommandLine.Command;

@Command(name = "start", description = "Start stopped VMs.")
public final class VmStartCommand extends VmFanOut.ByName<VmInfo> {

    VmStartCommand(RootCommand root) {
        super(root, VmApi.START, "started");
    }
}
