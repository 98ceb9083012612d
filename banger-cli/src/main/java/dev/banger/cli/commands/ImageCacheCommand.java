package dev.banger.cli.commands;

import picocli.CommandLine.Command;

@Command(name = "cache", description = "The download cache (OCI layer and config blobs).",
        subcommands = {ImageCachePruneCommand.class})
public final class ImageCacheCommand {
}
