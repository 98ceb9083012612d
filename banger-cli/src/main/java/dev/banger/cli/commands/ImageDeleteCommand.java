package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "delete", aliases = "rm", description = "Delete an image and its files (refused while VMs use it).")
public final class ImageDeleteCommand implements Callable<Integer> {

    private final Invocation inv;

    ImageDeleteCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "IMAGE", description = "Image name or id.")
    String image;

    @Override
    public Integer call() {
        return inv.callOnName(ImageApi.DELETE, image, false,
                (inv, i) -> inv.terminal().println("deleted image " + i.name() + " (" + i.id() + ")"));
    }
}
