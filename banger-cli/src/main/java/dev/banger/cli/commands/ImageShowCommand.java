package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "show", description = "Show one image.")
public final class ImageShowCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "IMAGE", description = "Image name or id.")
    String image;

    @Override
    public Integer call() {
        return Invocation.of(spec).callOnName(Methods.IMAGE_SHOW, image, false, ImageListCommand::describe);
    }
}
