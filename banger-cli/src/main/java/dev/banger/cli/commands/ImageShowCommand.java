package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "show", description = "Show one image.")
public final class ImageShowCommand implements Callable<Integer> {

    private final Invocation inv;

    ImageShowCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "IMAGE", description = "Image name or id.")
    String image;

    @Override
    public Integer call() {
        return inv.callOnName(ImageApi.SHOW, image, false, ImageListCommand::describe);
    }
}
