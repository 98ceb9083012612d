package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.ImageApi;
import dev.banger.core.api.NoParams;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.units.Sizes;
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
        ImageApi.ImageList r = inv.call(ImageApi.LIST, NoParams.NONE);
        inv.render(ImageApi.LIST, r, () -> {
            Table t = new Table("NAME", "ID", "SIZE", "KERNEL", "WORK-SEED", "SOURCE");
            for (ImageInfo i : r.images()) {
                t.row(i.name(), i.id(), Sizes.format(i.sizeBytes()), i.kernelName(), i.workSeedPath() == null ? "no" : "yes", i.source());
            }
            inv.terminal().out().print(t.render());
            inv.terminal().out().flush();
        });
        return 0;
    }

    /** The image's card, as `image show` and the end of `image pull` print it. */
    static void describe(Invocation inv, ImageInfo i) {
        var t = inv.terminal();
        t.println("name       " + i.name());
        t.println("id         " + i.id());
        t.println("size       " + Sizes.format(i.sizeBytes()));
        t.println("kernel     " + (i.kernelName() == null ? "(none: pass --kernel-ref, or VMs use the default kernel)" : i.kernelName()));
        t.println("source     " + i.source());
        if (i.digest() != null) {
            t.println("digest     " + i.digest());
        }
        if (!i.managed()) {
            t.println("managed    no (your files, left where they are; `banger image promote` copies them in)");
        }
        t.println("rootfs     " + i.rootfsPath());
        t.println("work-seed  " + (i.workSeedPath() == null ? "(none: guest /root will be empty)" : i.workSeedPath()));
    }
}
