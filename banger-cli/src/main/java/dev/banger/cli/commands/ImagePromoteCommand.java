package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "promote", description = {
        "Copy a registered (unmanaged) image's files into banger's images dir and manage them from now on.",
        "Your original files are left as they are; a work-seed is built from the rootfs's /root when the image has none."})
public final class ImagePromoteCommand implements Callable<Integer> {

    private final Invocation inv;

    ImagePromoteCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "IMAGE", description = "Image name or id.")
    String image;

    @Override
    public Integer call() {
        return inv.callOnName(ImageApi.PROMOTE, image, true, ImageListCommand::describe);
    }
}
