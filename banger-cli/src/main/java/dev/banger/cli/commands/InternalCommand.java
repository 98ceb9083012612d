package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "internal", hidden = true, description = "Tools for building banger images. Not a stable interface.",
        subcommands = {InternalMakeBundleCommand.class, InternalManPagesCommand.class})
public final class InternalCommand {
}
