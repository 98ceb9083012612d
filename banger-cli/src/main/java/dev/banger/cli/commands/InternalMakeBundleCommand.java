package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.units.Sizes;
import dev.banger.core.rpc.Methods;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "make-bundle", description = {
        "Build an image bundle (.tar.zst: rootfs.ext4, work-seed.ext4, manifest.json) from a rootfs tar, e.g. `docker export`.",
        "bangerd does the work (guest files, ext4, work-seed) and writes --out; it prints the bundle's sha256."})
public final class InternalMakeBundleCommand implements Callable<Integer> {

    private final Invocation inv;

    InternalMakeBundleCommand(Banger root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--rootfs-tar", paramLabel = "TAR", required = true, description = "Root filesystem as a tar (plain, gzip or zstd).")
    Path rootfsTar;

    @Option(names = "--name", required = true, description = "Image name recorded in the manifest.")
    String name;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", required = true, description = "Kernel VMs from the bundle boot (imported where it is pulled).")
    String kernelRef;

    @Option(names = "--distro", description = "Distribution, recorded in the manifest, e.g. debian.")
    String distro;

    @Option(names = "--size", description = "Size of rootfs.ext4, e.g. 4G (default: content x 1.5, at least 1G).")
    String size;

    @Option(names = "--out", paramLabel = "FILE.tar.zst", required = true, description = "Where to write the bundle (must not exist).")
    Path out;

    @Override
    public Integer call() {
        if (size != null) {
            Sizes.parse("--size", size);
        }
        Map<String, Object> b = inv.callWithProgress(Methods.IMAGE_BUNDLE_MAKE, Invocation.params(
                "rootfs_tar", ImageRegisterCommand.absolute(rootfsTar), "name", name, "kernel_ref", kernelRef, "distro", distro,
                "size", size, "out", ImageRegisterCommand.absolute(out)));
        inv.render(b, () -> {
            var t = inv.terminal();
            t.println("bundle  " + b.get("path") + " (" + Sizes.format(((Number) b.get("size_bytes")).longValue())
                    + (Boolean.TRUE.equals(b.get("work_seed")) ? ", with work-seed" : ", no work-seed") + ")");
            t.println("sha256  " + b.get("sha256"));
            t.println("pull it with: banger image pull --bundle " + b.get("path") + " --sha256 " + b.get("sha256"));
        });
        return 0;
    }
}
