package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "image", description = "Pull, list, show and delete VM images.",
        subcommands = {ImagePullCommand.class, ImageListCommand.class, ImageShowCommand.class, ImageDeleteCommand.class})
public final class ImageCommand {
}
