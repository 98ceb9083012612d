package dev.banger.cli.commands;

import dev.banger.cli.Table;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list", aliases = "ls", description = "List imported kernels.")
public final class KernelListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Invocation inv = Invocation.of(spec);
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
