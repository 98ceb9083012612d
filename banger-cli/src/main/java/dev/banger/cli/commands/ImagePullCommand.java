package dev.banger.cli.commands;

import dev.banger.core.Sizes;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull", description = {
        "Pull an OCI image and make it a bootable VM image (ext4 rootfs, banger's guest init, /root work-seed).",
        "REF: registry/repo:tag, repo@sha256:..., or a Docker Hub short form such as debian:bookworm."})
public final class ImagePullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "REF", description = "Image reference.")
    String ref;

    @Option(names = "--name", description = "Name of the banger image (default: repository and tag, e.g. debian-bookworm).")
    String name;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "Imported kernel VMs from this image boot.")
    String kernelRef;

    @Option(names = "--size", description = "Size of the rootfs, e.g. 4G (default: content x 1.5, at least 1G).")
    String size;

    @Override
    public Integer call() {
        if (size != null) {
            Sizes.parse("--size", size); // refuse before contacting the daemon
        }
        Invocation inv = Invocation.of(spec);
        Map<String, Object> image = inv.callWithProgress(Methods.IMAGE_PULL,
                Invocation.params("ref", ref, "name", name, "kernel_ref", kernelRef, "size", size));
        inv.render(image, () -> ImageListCommand.describe(inv, image));
        return 0;
    }
}
