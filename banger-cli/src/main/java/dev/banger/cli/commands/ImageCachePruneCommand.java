package dev.banger.cli.commands;

import dev.banger.core.units.Sizes;
import dev.banger.core.rpc.Methods;
import java.util.Map;
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
        Map<String, Object> r = inv.call(Methods.IMAGE_CACHE_PRUNE, Map.of("dry_run", dryRun));
        inv.render(r, () -> inv.terminal().println(line(r)));
        return 0;
    }

    /** "freed 1.2G across 47 blob(s) in /var/cache/banger/oci", or "would free ..." for a dry run. */
    static String line(Map<String, Object> r) {
        long bytes = ((Number) r.get("bytes")).longValue();
        long blobs = ((Number) r.get("blobs")).longValue();
        long builds = r.get("builds") instanceof Number n ? n.longValue() : 0;
        return (Boolean.TRUE.equals(r.get("dry_run")) ? "would free " : "freed ") + Sizes.format(bytes) + " across " + blobs
                + " blob(s)" + (builds > 0 ? " and " + builds + " built rootfs(es)" : "") + " in " + r.get("dir");
    }
}
