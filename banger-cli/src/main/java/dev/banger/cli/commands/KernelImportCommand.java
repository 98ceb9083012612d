package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.core.rpc.Methods;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", description = {"Import a kernel from a prepared directory (--from DIR: vmlinuz; optional vmlinux, initrd.img, modules/)",
        "or from a Debian linux-image package (--deb FILE: the initramfs, vmlinux and virtio modules are made from it)."})
public final class KernelImportCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelImportCommand(Banger root) {
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
        Map<String, Object> k = inv.callWithProgress(Methods.KERNEL_IMPORT, Invocation.params("name", name,
                "from", absolute(from), "version", version, "distro", distro, "deb", absolute(deb)));
        inv.render(k, () -> KernelListCommand.describe(inv, k));
        return 0;
    }

    /** The daemon resolves nothing against the client's working directory. */
    private static String absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize().toString();
    }
}
