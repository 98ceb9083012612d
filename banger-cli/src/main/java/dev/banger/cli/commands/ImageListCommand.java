package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.units.Sizes;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "list", aliases = "ls", description = "List images.")
public final class ImageListCommand implements Callable<Integer> {

    private final Invocation inv;

    ImageListCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        Map<String, Object> r = inv.call(Methods.IMAGE_LIST, null);
        inv.render(r, () -> {
            Table t = new Table("NAME", "ID", "SIZE", "KERNEL", "WORK-SEED", "SOURCE");
            for (Map<String, Object> i : Invocation.asList(r.get("images"))) {
                t.row(i.get("name"), i.get("id"), Sizes.format(((Number) i.get("size_bytes")).longValue()),
                        i.get("kernel_name"), i.get("work_seed_path") == null ? "no" : "yes", i.get("source"));
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    /** The image's card, as `image show` and the end of `image pull` print it. */
    static void describe(Invocation inv, Map<String, Object> i) {
        var t = inv.terminal();
        t.println("name       " + i.get("name"));
        t.println("id         " + i.get("id"));
        t.println("size       " + Sizes.format(((Number) i.get("size_bytes")).longValue()));
        t.println("kernel     " + (i.get("kernel_name") == null ? "(none: pass --kernel-ref, or VMs use the default kernel)" : i.get("kernel_name")));
        t.println("source     " + i.get("source"));
        if (i.get("digest") != null) {
            t.println("digest     " + i.get("digest"));
        }
        if (Boolean.FALSE.equals(i.get("managed"))) {
            t.println("managed    no (your files, left where they are; `banger image promote` copies them in)");
        }
        t.println("rootfs     " + i.get("rootfs_path"));
        t.println("work-seed  " + (i.get("work_seed_path") == null ? "(none: guest /root will be empty)" : i.get("work_seed_path")));
    }
}
