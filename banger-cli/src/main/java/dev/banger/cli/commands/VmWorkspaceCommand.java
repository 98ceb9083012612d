package dev.banger.cli.commands;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code vm workspace} group, declared in code because {@code prepare} shares {@code vm run}'s options ({@link WorkspaceOptions}). */
public final class VmWorkspaceCommand implements DeclaredCommand {

    static final String NAME = "workspace";

    @Override
    public CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name(NAME);
        spec.usageMessage().description("Ship a git work tree into a running VM, and export the guest's changes back as a patch.");
        return spec;
    }

    @Override
    public List<Class<?>> subcommands() {
        return List.of(VmWorkspacePrepareCommand.class, VmWorkspaceExportCommand.class);
    }
}
