package dev.banger.daemon.image;

import dev.banger.core.config.DebianSources;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.image.recipe.DebianRecipe;
import dev.banger.daemon.image.recipe.Debootstrap;
import dev.banger.daemon.image.recipe.HostDebianMirror;
import dev.banger.daemon.image.recipe.TreeCounts;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Ids;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/**
 * Built-in images ({@link DebianRecipe}): {@code image pull debian-bookworm}, and the auto-pull of
 * {@code vm create} without {@code --image}. The kernel is resolved first (the catalog's, pulled
 * when missing); then, in a staging dir under no lock, debootstrap from the mirror
 * ({@code debian_mirror}, else the host's apt sources', else deb.debian.org) -> the tree made fit
 * for many VMs -> the OCI pull's own finalisation (guest files, ext4, work-seed) -> publish. The
 * finished files are kept in the built-rootfs cache by recipe and mirror, so a pull after a delete
 * links them instead of bootstrapping again. A failure or a cancel leaves only the staging dir,
 * which is always removed.
 */
final class RecipeImages {

    private final ImagePublisher publisher;
    private final WorkSeeds workSeeds;
    private final FinalizePulledRootfs finalizer;
    private final Debootstrap debootstrap;
    private final DebianSources sources;
    private final Path etcApt;
    private final BuiltRootfsCache builtRootfs;
    private final Clock clock;

    RecipeImages(ImagePublisher publisher, WorkSeeds workSeeds, FinalizePulledRootfs finalizer, Debootstrap debootstrap, DebianSources sources, Path etcApt, BuiltRootfsCache builtRootfs,
                 Clock clock) {
        this.publisher = publisher;
        this.workSeeds = workSeeds;
        this.finalizer = finalizer;
        this.debootstrap = debootstrap;
        this.sources = sources;
        this.etcApt = etcApt;
        this.builtRootfs = builtRootfs;
        this.clock = clock;
    }

    /** The mirror and where it came from, for messages. */
    record Mirror(String url, String origin) {
    }

    Mirror mirror(DebianRecipe recipe) {
        if (sources.mirror() != null) {
            return new Mirror(sources.mirror(), "config key debian_mirror");
        }
        return HostDebianMirror.find(etcApt, recipe.suite())
                .map(url -> new Mirror(url, "the host's apt sources in " + etcApt + "; set debian_mirror to choose another"))
                .orElse(new Mirror(HostDebianMirror.FALLBACK, "no apt source of this host serves " + recipe.suite()
                        + "; set debian_mirror to choose another"));
    }

    /** Source of an image built from {@code recipe}: the same for every pull of it, so concurrent pulls coalesce. */
    static String source(DebianRecipe recipe) {
        return "recipe:" + recipe.name();
    }

    /** Builds {@code recipe} as image {@code name}; the caller coalesces pulls of one name and source. */
    ImageInfo build(DebianRecipe recipe, String name, KernelInfo kernel, Long size, OperationContext ctx) {
        publisher.requireImageNameFree(name);
        Mirror mirror = mirror(recipe);
        String key = cacheKey(recipe, mirror.url());
        Path staging = publisher.newStagingDir("recipe-" + name);
        try {
            Optional<Path> built = size == null ? builtRootfs.find(key) : Optional.empty();
            boolean seeded;
            if (built.isPresent()) {
                ctx.progress("reuse the rootfs built earlier from " + mirror.url());
                seeded = builtRootfs.copyInto(built.get(), staging);
            } else {
                Path tree = staging.resolve("tree");
                debootstrap.build(recipe, mirror.url(), mirror.origin(), sources.keyring(), tree, ctx);
                Path rootfs = staging.resolve(BuiltRootfsCache.ROOTFS);
                finalizer.finish(tree, new PulledTree(null, "amd64", TreeCounts.of(tree)), rootfs,
                        size, name, ctx);
                ctx.checkCancelled();
                ctx.progress("build work-seed");
                seeded = workSeeds.build(tree, staging.resolve(BuiltRootfsCache.WORK_SEED), name);
                ctx.checkCancelled();
                FileTrees.deleteQuietly(tree);
                if (size == null) {
                    builtRootfs.store(key, rootfs, seeded ? staging.resolve(BuiltRootfsCache.WORK_SEED) : null);
                }
            }
            ctx.progress("publish");
            ImageInfo draft = new ImageInfo(Ids.newId(), name, source(recipe) + " (" + mirror.url() + ")", null, "debian",
                    "amd64", null, BuiltRootfsCache.ROOTFS, seeded ? BuiltRootfsCache.WORK_SEED : null, kernel.id(), kernel.name(),
                    true, Files.size(staging.resolve(BuiltRootfsCache.ROOTFS)), clock.instant());
            return publisher.publishImage(staging, draft);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building image " + name + " failed: " + e.getMessage(), e);
        } finally {
            FileTrees.deleteQuietly(staging);
        }
    }

    /** One cache entry per recipe and mirror (the guest-files version is BuiltRootfsCache's part of the key). */
    private static String cacheKey(DebianRecipe recipe, String mirror) {
        return "recipe:" + Sha256.hex(recipe.toString() + "\n" + mirror).substring(0, 32);
    }
}
