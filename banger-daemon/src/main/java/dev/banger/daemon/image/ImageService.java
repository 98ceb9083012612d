package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.image.ImageReference;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.units.Sizes;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.core.api.ImageApi.BundleMade;
import dev.banger.core.api.ImageApi.BundleMakeParams;
import dev.banger.core.api.ImageApi.BundlePullParams;
import dev.banger.core.api.ImageApi.CachePruneParams;
import dev.banger.core.api.ImageApi.CachePruneResult;
import dev.banger.core.api.KernelApi.KernelCatalogList;
import dev.banger.core.api.KernelApi.KernelImportParams;
import dev.banger.core.api.ImageApi.PullParams;
import dev.banger.core.api.ImageApi.RegisterParams;
import dev.banger.daemon.image.oci.PruneReport;
import dev.banger.core.api.RegistryLogin;
import dev.banger.daemon.image.recipe.DebianRecipe;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.KernelRows;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front of images and kernels: every RPC of theirs lands here and goes to the part that does
 * it ({@link ImageParts}). Slow work (fetch, flatten, ext4 build, guest injection, work-seed)
 * runs in a private staging directory with no lock held; {@link ImagePublisher} commits it.
 */
public final class ImageService {

    private static final Logger log = LoggerFactory.getLogger(ImageService.class);

    private final Store store;
    private final Layout layout;
    private final Clock clock;
    private final ImagePublisher publisher;
    private final WorkSeeds workSeeds;
    private final ImageSteps steps;
    private final BuiltRootfsCache builtRootfs;
    private final BundleImages bundles;
    private final UnmanagedImages unmanaged;
    private final KernelImports kernelImports;
    private final CatalogKernels catalogKernels;
    private final RecipeImages recipes;
    private final Map<String, InFlightPull> pullsInFlight = new ConcurrentHashMap<>();

    private record InFlightPull(String source, CompletableFuture<ImageInfo> result) {
    }

    public ImageService(Store store, CommandRunner runner, Layout layout, Config config, Clock clock) {
        this(store, runner, layout, config, clock, ImageSteps.real(runner, layout, config));
    }

    /** With {@code steps} of a test's own. */
    ImageService(Store store, CommandRunner runner, Layout layout, Config config, Clock clock, ImageSteps steps) {
        this(store, layout, clock, ImageParts.wire(store, runner, layout, config, clock, steps));
    }

    private ImageService(Store store, Layout layout, Clock clock, ImageParts parts) {
        this.store = store;
        this.layout = layout;
        this.clock = clock;
        this.publisher = parts.publisher();
        this.workSeeds = parts.workSeeds();
        this.steps = parts.steps();
        this.builtRootfs = parts.builtRootfs();
        this.bundles = parts.bundles();
        this.unmanaged = parts.unmanaged();
        this.kernelImports = parts.kernelImports();
        this.catalogKernels = parts.catalogKernels();
        this.recipes = parts.recipes();
    }

    /**
     * The startup sweeps of what a killed daemon left: staging dirs, its tmpfs scratch dir, part
     * files of downloads, images and kernels half-published (or half-deleted). Each removal is
     * logged. Only safe while holding the state dir's lock before serving (Daemon.open does), since
     * a live pull's leftovers look the same.
     */
    public void removeLeftovers() {
        new StagingSweep(layout).run();
        steps.scratch().removeLeftover();
        new PartialDownloadSweep(layout).run();
        new HalfPublishedSweep(store, layout).run();
    }

    // ---- images ----

    /**
     * {@code image.pull}: an OCI reference, or the name of a built-in image ({@link DebianRecipe}), which is
     * built here (its kernel, the catalog's, pulled first when missing).
     */
    public ImageInfo pull(PullParams p, OperationContext ctx) {
        if (p.ref() == null || p.ref().isBlank()) {
            throw BangerException.badRequest("image pull needs an image reference");
        }
        Long size = p.size() == null ? null : Sizes.parse("--size", p.size());
        Optional<DebianRecipe> recipe = DebianRecipe.builtIn(p.ref());
        if (recipe.isPresent()) {
            String name = Names.validate("image", p.name() != null ? p.name() : recipe.get().name());
            KernelInfo kernel = catalogKernels.resolve(p.kernelRef() != null ? p.kernelRef() : recipe.get().kernelRef(), ctx);
            return coalesced(name, RecipeImages.source(recipe.get()), ctx, () -> recipes.build(recipe.get(), name, kernel, size, ctx));
        }
        ImageReference ref = ImageReference.parse(p.ref());
        String name = Names.validate("image", p.name() != null ? p.name()
                : Names.fromReference(ref.repository(), ref.tag(), ref.digest()));
        KernelInfo kernel = p.kernelRef() == null ? null : catalogKernels.resolve(p.kernelRef(), ctx);
        String source = ociSource(ref);
        return coalesced(name, source, ctx, () -> pullOci(ref, p.auth(), name, source, size, kernel, ctx));
    }

    /**
     * {@code vm create --image REF}: the image {@code ref} names and its kernel, pulled (or built)
     * first when there is none. {@code ref} is an image's name or id, a built-in image's name, or an
     * OCI reference, which stands for the image its pull names ({@code REGISTRY/library/debian:12}
     * -> {@code debian-12}) when that image was pulled from the same reference. {@code kernelRef}
     * only serves a pull.
     */
    public BootableImage resolveOrPull(String ref, String kernelRef, OperationContext ctx) {
        Optional<ImageInfo> local = store.images().find(ref);
        if (local.isPresent()) {
            return bootable(local.get());
        }
        boolean builtIn = DebianRecipe.builtIn(ref).isPresent();
        if (!builtIn && !ref.contains("/") && !ref.contains(":")) {
            throw BangerException.invalidArgument("image '" + ref + "' not found: pull it first (banger image pull REF --name " + ref
                    + "), or pass an OCI reference to --image to pull it now");
        }
        String name = ref;
        String source = null; // a built-in image's name is its ref: any image of that name is it
        if (!builtIn) {
            ImageReference parsed = ImageReference.parse(ref);
            name = Names.fromReference(parsed.repository(), parsed.tag(), parsed.digest());
            source = ociSource(parsed);
            Optional<ImageInfo> pulled = pulledFrom(ref, name, source);
            if (pulled.isPresent()) {
                return bootable(pulled.get());
            }
        }
        ctx.progress(builtIn ? "build image " + ref + " (built in; first use only)" : "pull image " + ref);
        try {
            return bootable(pull(new PullParams(ref, null, kernelRef, null), ctx));
        } catch (BangerException e) {
            if (e.code() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
            // Another pull of the same image published it between our lookup and our pull.
            return bootable(pulledFrom(ref, name, source).orElseThrow(() -> e));
        }
    }

    /**
     * The image {@code name} when a pull of {@code ref} made it ({@code source} null: any image of
     * that name); one of that name from elsewhere is refused, naming the way out.
     */
    private Optional<ImageInfo> pulledFrom(String ref, String name, String source) {
        Optional<ImageInfo> existing = store.images().find(name).filter(i -> i.name().equals(name));
        if (source != null && existing.isPresent() && !source.equals(existing.get().source())) {
            throw new BangerException(ErrorCode.ALREADY_EXISTS, "image '" + name + "', the name a pull of " + ref
                    + " takes, already exists and comes from " + existing.get().source() + ": pull " + ref
                    + " under another name (banger image pull " + ref + " --name NAME) and pass --image NAME");
        }
        return existing;
    }

    /** {@code image} with the kernel it boots; refused when it has none or the kernel's vmlinuz is gone. */
    public BootableImage bootable(ImageInfo image) {
        if (image.kernelName() == null) {
            throw BangerException.badRequest("image " + image.name() + " has no kernel: pull it again with --kernel-ref NAME"
                    + " (banger kernel list shows the kernels)");
        }
        KernelInfo k = store.kernels().find(image.kernelName())
                .orElseThrow(() -> BangerException.notFound("kernel " + image.kernelName() + " of image " + image.name() + " is gone"));
        if (k.vmlinuzPath() == null || !Files.isRegularFile(Path.of(k.vmlinuzPath()))) {
            throw BangerException.badRequest("kernel " + k.name() + " has no vmlinuz QEMU can boot (" + k.vmlinuzPath() + ")");
        }
        return new BootableImage(image, k);
    }

    private static String ociSource(ImageReference ref) {
        return "oci:" + ref;
    }

    /** A pull of {@code name} from {@code source}, or the result of the same pull already running. */
    private ImageInfo coalesced(String name, String source, OperationContext ctx, java.util.function.Supplier<ImageInfo> work) {
        InFlightPull mine = new InFlightPull(source, new CompletableFuture<>());
        InFlightPull running = pullsInFlight.putIfAbsent(name, mine);
        if (running != null && running.source().equals(source)) {
            ctx.progress("waiting for the same pull already running");
            return await(running.result());
        }
        try {
            ImageInfo image = work.get();
            mine.result().complete(image);
            return image;
        } catch (RuntimeException e) {
            mine.result().completeExceptionally(e);
            throw e;
        } finally {
            pullsInFlight.remove(name, mine);
        }
    }

    private ImageInfo pullOci(ImageReference ref, RegistryLogin login, String name, String source, Long size, KernelInfo kernel,
                              OperationContext ctx) {
        publisher.requireImageNameFree(name);
        Path staging = publisher.newStagingDir("pull-" + name);
        java.util.List<Path> trees = new java.util.ArrayList<>(); // the tree may live outside staging (tmpfs)
        try (OciPull.Session resolved = steps.oci().resolve(ref, login, ctx)) {
            String digest = size == null ? resolved.image().manifestDigest() : null;
            java.util.Optional<Path> built = digest == null ? java.util.Optional.empty() : builtRootfs.find(digest);
            if (built.isPresent()) {
                ctx.progress("reuse the rootfs built by an earlier pull of " + digest);
                boolean seeded = builtRootfs.copyInto(built.get(), staging);
                ctx.progress("publish");
                return publisher.publishImage(staging, new ImageInfo(Ids.newId(), name, source, digest, null, "amd64", null,
                        "rootfs.ext4", seeded ? "work-seed.ext4" : null, kernel == null ? null : kernel.id(),
                        kernel == null ? null : kernel.name(), true, Files.size(staging.resolve("rootfs.ext4")), clock.instant()));
            }
            Path tree = steps.scratch().newTree(staging);
            trees.add(tree);
            PulledTree pulled;
            try {
                pulled = steps.pullAndFlatten().pull(resolved, tree, ctx);
            } catch (BangerException | NoSpaceException e) {
                if (!steps.scratch().isFull(tree)) {
                    throw e;
                }
                log.info("image {} does not fit the tmpfs scratch space; unpacking on disk", name);
                steps.scratch().release(tree);
                tree = Files.createDirectory(staging.resolve("tree"));
                pulled = steps.pullAndFlatten().pull(resolved, tree, ctx);
            }
            ctx.checkCancelled();
            Path rootfs = staging.resolve("rootfs.ext4");
            steps.finalizer().finish(tree, pulled, rootfs, size, name, ctx);
            ctx.checkCancelled();
            ctx.progress("build work-seed");
            boolean seeded = workSeeds.build(tree, staging.resolve("work-seed.ext4"), name);
            steps.scratch().release(tree);
            if (size == null && pulled.digest() != null) {
                builtRootfs.store(pulled.digest(), rootfs, seeded ? staging.resolve("work-seed.ext4") : null);
            }
            ctx.progress("publish");
            ImageInfo draft = new ImageInfo(Ids.newId(), name, source, pulled.digest(), null, pulled.arch(), null,
                    "rootfs.ext4", seeded ? "work-seed.ext4" : null, kernel == null ? null : kernel.id(),
                    kernel == null ? null : kernel.name(), true, Files.size(rootfs), clock.instant());
            return publisher.publishImage(staging, draft);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "pull of " + ref + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull of " + ref + " cancelled");
        } finally {
            trees.forEach(steps.scratch()::release);
            FileTrees.deleteQuietly(staging);
        }
    }

    /** {@code image pull --bundle}: see {@link BundleImages}. */
    public ImageInfo pullBundle(BundlePullParams p, OperationContext ctx) {
        return bundles.pull(p, ctx);
    }

    /** {@code internal make-bundle}: see {@link BundleImages}. */
    public BundleMade makeBundle(BundleMakeParams p, OperationContext ctx) {
        return bundles.make(p, ctx);
    }

    /** {@code image register}: see {@link UnmanagedImages}. */
    public ImageInfo register(RegisterParams p, OperationContext ctx) {
        return unmanaged.register(p, ctx);
    }

    /** {@code image promote}: see {@link UnmanagedImages}. */
    public ImageInfo promote(String ref, OperationContext ctx) {
        return unmanaged.promote(ref, ctx);
    }

    /** {@code image cache prune}: every cached blob no running pull needs. */
    public CachePruneResult pruneCache(CachePruneParams p) {
        PruneReport r = steps.oci().prune(Boolean.TRUE.equals(p.dryRun()));
        long[] built;
        try {
            built = builtRootfs.prune(r.dryRun());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prune " + layout.cacheDir().resolve("rootfs") + ": " + e.getMessage(), e);
        }
        return new CachePruneResult(layout.downloadCacheDir().toString(), r.blobs(), r.bytes() + built[1], (int) built[0], r.dryRun());
    }

    public List<ImageInfo> list() {
        return store.images().list();
    }

    public ImageInfo show(String ref) {
        return store.images().find(ref).orElseThrow(() -> BangerException.notFound("image '" + ref + "' not found"));
    }

    /** Lookup, reference check and row delete under the lock; the files go after it is released. */
    public ImageInfo delete(String ref) {
        List<KernelInfo> companion = new java.util.ArrayList<>();
        ImageInfo image = publisher.underLock(c -> {
            ImageInfo i = ImageRows.byName(c, ref).or(() -> store.images().find(ref))
                    .orElseThrow(() -> BangerException.notFound("image '" + ref + "' not found"));
            List<String> vms = ImageRows.vmsUsing(c, i.id());
            if (!vms.isEmpty()) {
                throw BangerException.badRequest("image " + i.name() + " is used by VM(s) " + String.join(", ", vms)
                        + ": delete them first");
            }
            List<String> snapshots = ImageRows.snapshotsUsing(c, i.id());
            if (!snapshots.isEmpty()) {
                throw BangerException.badRequest("image " + i.name() + " is used by snapshot(s) " + String.join(", ", snapshots)
                        + ": delete them first (banger vm snapshot delete NAME)");
            }
            ImageRows.delete(c, i.id());
            UnmanagedImages.dropCompanionKernel(c, i).ifPresent(companion::add);
            return i;
        });
        if (image.managed() && image.dir() != null) {
            FileTrees.deleteQuietly(Path.of(image.dir()));
        }
        companion.stream().filter(KernelInfo::managed).forEach(k -> FileTrees.deleteQuietly(Path.of(k.dir())));
        return image;
    }

    // ---- kernels ----

    /** {@code kernel import --from DIR | --deb FILE}: see {@link KernelImports}. */
    public KernelInfo importKernel(KernelImportParams p, OperationContext ctx) {
        return kernelImports.importKernel(p, ctx);
    }

    /** {@code kernel list --available}: see {@link CatalogKernels}. */
    public KernelCatalogList kernelCatalog() {
        return catalogKernels.list();
    }

    /** {@code kernel pull NAME}: the catalog entry's artifact, downloaded (or cached) and verified, imported. */
    public KernelInfo pullKernel(String name, OperationContext ctx) {
        return catalogKernels.pull(name, ctx);
    }

    public List<KernelInfo> listKernels() {
        return store.kernels().list();
    }

    public KernelInfo showKernel(String name) {
        return store.kernels().find(name).orElseThrow(() -> BangerException.notFound("kernel '" + name + "' not found"));
    }

    public KernelInfo deleteKernel(String name) {
        KernelInfo kernel = publisher.underLock(c -> {
            KernelInfo k = KernelRows.byName(c, name)
                    .orElseThrow(() -> BangerException.notFound("kernel '" + name + "' not found"));
            List<String> images = KernelRows.imagesUsing(c, k.id());
            if (!images.isEmpty()) {
                throw BangerException.badRequest("kernel " + name + " is used by image(s) " + String.join(", ", images)
                        + ": delete them first");
            }
            KernelRows.delete(c, k.id());
            return k;
        });
        if (kernel.managed()) {
            FileTrees.deleteQuietly(Path.of(kernel.dir()));
        }
        return kernel;
    }

    // ---- helpers ----

    private static ImageInfo await(CompletableFuture<ImageInfo> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "image pull cancelled while waiting for the same pull");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re
                    : new BangerException(ErrorCode.OPERATION_FAILED, e.getCause().getMessage(), e.getCause());
        }
    }
}
