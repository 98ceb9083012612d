package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import", description = "Import a prepared kernel directory (vmlinuz; optional vmlinux, initrd.img, modules/).")
public final class KernelImportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "Name for the kernel.")
    String name;

    @Option(names = "--from", paramLabel = "DIR", required = true, description = "Directory with the kernel files.")
    Path from;

    @Option(names = "--kernel-version", paramLabel = "VERSION", description = "Kernel version to record, e.g. 6.1.0-31-cloud-amd64.")
    String version;

    @Option(names = "--distro", description = "Distribution the kernel comes from, e.g. debian.")
    String distro;

    @Override
    public Integer call() {
        Invocation inv = Invocation.of(spec);
        Map<String, Object> k = inv.callWithProgress(Methods.KERNEL_IMPORT, Invocation.params("name", name,
                "from", from.toAbsolutePath().normalize().toString(), "version", version, "distro", distro));
        inv.render(k, () -> KernelListCommand.describe(inv, k));
        return 0;
    }
}
