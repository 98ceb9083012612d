package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.KernelApi;
import dev.banger.core.api.KernelApi.CatalogKernel;
import dev.banger.core.api.KernelApi.KernelCatalogList;
import dev.banger.core.api.NoParams;
import dev.banger.core.model.KernelInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", aliases = "ls", description = {"List imported kernels, or with --available the kernel catalog.",
        "The catalog is what `banger kernel pull NAME` and `image pull --kernel-ref NAME` can fetch."})
public final class KernelListCommand implements Callable<Integer> {

    private final Invocation inv;

    KernelListCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--available", description = "List the kernel catalog: name, version, distro, whether imported, source URL.")
    boolean available;

    @Override
    public Integer call() {
        if (available) {
            return catalog(inv);
        }
        KernelApi.KernelList r = inv.call(KernelApi.LIST, NoParams.NONE);
        inv.render(KernelApi.LIST, r, () -> {
            Table t = new Table("NAME", "VERSION", "DISTRO", "INITRD", "VMLINUX", "SOURCE");
            for (KernelInfo k : r.kernels()) {
                t.row(k.name(), k.version(), k.distro(), k.initrdPath() == null ? "no" : "yes",
                        k.vmlinuxPath() == null ? "no" : "yes", k.source());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    private static int catalog(Invocation inv) {
        KernelCatalogList r = inv.call(KernelApi.CATALOG_LIST, NoParams.NONE);
        inv.render(KernelApi.CATALOG_LIST, r, () -> {
            if (r.kernels().isEmpty()) {
                inv.terminal().println("the kernel catalog (" + r.catalog() + ") lists no kernels");
                return;
            }
            Table t = new Table("NAME", "VERSION", "DISTRO", "IMPORTED", "SOURCE");
            for (CatalogKernel k : r.kernels()) {
                t.row(k.name(), k.version(), k.distro(), imported(k), k.url() != null ? k.url() : "apt: " + k.aptPackage());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    /** yes; no; or "other build": the name is taken by a kernel that is not this entry's package. */
    static String imported(CatalogKernel k) {
        if (!k.imported()) {
            return "no";
        }
        // An apt entry pins no sha256: whatever apt fetched is this entry's package.
        return k.sha256() == null || k.sha256().equals(k.importedSha256()) ? "yes" : "other build";
    }

    static void describe(Invocation inv, KernelInfo k) {
        var t = inv.terminal();
        t.println("name     " + k.name());
        t.println("version  " + (k.version() == null ? "-" : k.version()));
        t.println("vmlinuz  " + k.vmlinuzPath());
        t.println("vmlinux  " + (k.vmlinuxPath() == null ? "- (QEMU only)" : k.vmlinuxPath()));
        t.println("initrd   " + (k.initrdPath() == null ? "-" : k.initrdPath()));
        t.println("modules  " + (k.modulesPath() == null ? "-" : k.modulesPath()));
        t.println("source   " + k.source());
    }
}
