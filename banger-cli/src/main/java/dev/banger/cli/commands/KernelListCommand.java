package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.rpc.Methods;
import java.util.Map;
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
        Map<String, Object> r = inv.call(Methods.KERNEL_LIST, null);
        inv.render(r, () -> {
            Table t = new Table("NAME", "VERSION", "DISTRO", "INITRD", "VMLINUX", "SOURCE");
            for (Map<String, Object> k : Invocation.asList(r.get("kernels"))) {
                t.row(k.get("name"), k.get("version"), k.get("distro"), k.get("initrd_path") == null ? "no" : "yes",
                        k.get("vmlinux_path") == null ? "no" : "yes", k.get("source"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    private static int catalog(Invocation inv) {
        Map<String, Object> r = inv.call(Methods.KERNEL_CATALOG, null);
        inv.render(r, () -> {
            if (Invocation.asList(r.get("kernels")).isEmpty()) {
                inv.terminal().println("the kernel catalog (" + r.get("catalog") + ") lists no kernels");
                return;
            }
            Table t = new Table("NAME", "VERSION", "DISTRO", "IMPORTED", "SOURCE");
            for (Map<String, Object> k : Invocation.asList(r.get("kernels"))) {
                t.row(k.get("name"), k.get("version"), k.get("distro"), imported(k),
                        k.get("url") != null ? k.get("url") : "apt: " + k.get("package"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    /** yes; no; or "other build": the name is taken by a kernel that is not this entry's package. */
    static String imported(Map<String, Object> k) {
        if (!Boolean.TRUE.equals(k.get("imported"))) {
            return "no";
        }
        // An apt entry pins no sha256: whatever apt fetched is this entry's package.
        return k.get("sha256") == null || java.util.Objects.equals(k.get("imported_sha256"), k.get("sha256")) ? "yes" : "other build";
    }

    static void describe(Invocation inv, Map<String, Object> k) {
        var t = inv.terminal();
        t.println("name     " + k.get("name"));
        t.println("version  " + (k.get("version") == null ? "-" : k.get("version")));
        t.println("vmlinuz  " + k.get("vmlinuz_path"));
        t.println("vmlinux  " + (k.get("vmlinux_path") == null ? "- (QEMU only)" : k.get("vmlinux_path")));
        t.println("initrd   " + (k.get("initrd_path") == null ? "-" : k.get("initrd_path")));
        t.println("modules  " + (k.get("modules_path") == null ? "-" : k.get("modules_path")));
        t.println("source   " + k.get("source"));
    }
}
