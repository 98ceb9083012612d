package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.ImageApi.RegisterParams;
import dev.banger.core.model.ImageInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "register", description = {
        "Record an ext4 rootfs and its kernel as an image.",
        "As root: record an ext4 rootfs you keep where it is, an unmanaged image (banger never writes, moves or deletes its files);",
        "`banger image promote` copies it into banger's images dir later.",
        "As anyone else: the files are read with your rights and copied in, a managed image (register and promote in one step):",
        "bangerd runs as root and never opens a path you name (docs/privileges.md).",
        "Its kernel: files (--kernel, optional --initrd; recorded as kernel NAME-kernel) or an imported kernel (--kernel-ref)."})
public final class ImageRegisterCommand implements Callable<Integer> {

    private final Invocation inv;

    ImageRegisterCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--name", required = true, description = "Name of the image.")
    String name;

    @Option(names = "--rootfs", paramLabel = "FILE", required = true, description = "The ext4 root filesystem image.")
    Path rootfs;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Kernel (vmlinuz) VMs from this image boot.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initramfs for --kernel.")
    Path initrd;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "An imported kernel instead of --kernel/--initrd.")
    String kernelRef;

    @Override
    public Integer call() {
        ImageInfo image;
        if (FileStreams.asRoot()) {
            image = inv.call(ImageApi.REGISTER, new RegisterParams(name, absolute(rootfs), absolute(kernel), absolute(initrd), kernelRef));
        } else {
            try (FileStreams files = new FileStreams(inv)) {
                String rootfsStream = files.upload("--rootfs", rootfs);
                String kernelStream = kernel == null ? null : files.upload("--kernel", kernel);
                String initrdStream = initrd == null ? null : files.upload("--initrd", initrd);
                image = inv.callWithProgress(ImageApi.REGISTER, new RegisterParams(name, null, null, null, kernelRef,
                        rootfsStream, kernelStream, initrdStream, absolute(rootfs)));
                files.await();
            }
        }
        inv.render(ImageApi.REGISTER, image, () -> ImageListCommand.describe(inv, image));
        return 0;
    }

    static String absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }
}
