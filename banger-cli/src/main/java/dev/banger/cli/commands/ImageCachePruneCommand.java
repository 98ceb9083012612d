package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.ImageApi.CachePruneResult;
import dev.banger.core.units.Sizes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "prune", description = {
        "Delete cached blobs. Images do not need them once pulled; a later pull of the same layers downloads them again.",
        "Blobs of pulls running now are kept."})
public final class ImageCachePruneCommand implements Callable<Integer> {

    private final Invocation inv;

    ImageCachePruneCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--dry-run", description = "Only say what would be freed.")
    boolean dryRun;

    @Override
    public Integer call() {
        CachePruneResult r = inv.call(ImageApi.CACHE_PRUNE, new ImageApi.CachePruneParams(dryRun));
        inv.render(ImageApi.CACHE_PRUNE, r, () -> inv.terminal().println(line(r)));
        return 0;
    }

    /** "freed 1.2G across 47 blob(s) in /var/cache/banger/oci", or "would free ..." for a dry run. */
    static String line(CachePruneResult r) {
        return (r.dryRun() ? "would free " : "freed ") + Sizes.format(r.bytes()) + " across " + r.blobs()
                + " blob(s)" + (r.builds() > 0 ? " and " + r.builds() + " built rootfs(es)" : "") + " in " + r.dir();
    }
}
