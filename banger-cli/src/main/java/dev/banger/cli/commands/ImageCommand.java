package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "image", description = "Pull, register, list, show and delete VM images.",
        subcommands = {ImagePullCommand.class, ImageListCommand.class, ImageShowCommand.class, ImageDeleteCommand.class,
                ImageRegisterCommand.class, ImagePromoteCommand.class, ImageCacheCommand.class})
public final class ImageCommand {
}
