package dev.banger.cli.commands;

import dev.banger.core.api.KernelApi;
import dev.banger.core.api.KernelApi.KernelImportParams;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", description = {"Import a kernel from a prepared directory (--from DIR: vmlinuz; optional vmlinux, initrd.img, modules/)",
        "or from a Debian linux-image package (--deb FILE: the initramfs, vmlinux and virtio modules are made from it).",
        "The files are read with your rights and sent to bangerd (--from as a tar made by the system tar)."})
public final class KernelImportCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelImportCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Parameters(paramLabel = "NAME", description = "Name for the kernel.")
    String name;

    @Option(names = "--from", paramLabel = "DIR", description = "Directory with the kernel files.")
    Path from;

    @Option(names = "--deb", paramLabel = "FILE", description = "A Debian linux-image package, e.g. linux-image-6.1.0-*-cloud-amd64_*.deb.")
    Path deb;

    @Option(names = "--kernel-version", paramLabel = "VERSION", description = "Kernel version to record, e.g. 6.1.0-31-cloud-amd64 (--deb reads it from the package; if given, it must match).")
    String version;

    @Option(names = "--distro", description = "Distribution the kernel comes from, e.g. debian.")
    String distro;

    @Override
    public Integer call() {
        if ((from == null) == (deb == null)) {
            throw BangerException.badRequest("kernel import needs exactly one of --from DIR (a directory with vmlinuz) "
                    + "and --deb FILE (a Debian linux-image package)");
        }
        KernelInfo k;
        try (FileStreams files = new FileStreams(inv)) {
            String fromStream = from == null ? null : files.uploadTar("--from", from);
            String debStream = deb == null ? null : files.upload("--deb", deb);
            k = inv.callWithProgress(KernelApi.IMPORT, new KernelImportParams(name, null, version, distro, null,
                    fromStream, debStream, absolute(from != null ? from : deb)));
            files.await();
        }
        inv.render(KernelApi.IMPORT, k, () -> KernelListCommand.describe(inv, k));
        return 0;
    }

    /** How the kernel's source is recorded. */
    private static String absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }
}
