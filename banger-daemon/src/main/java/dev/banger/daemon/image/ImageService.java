package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.units.Sizes;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.image.bundle.BundleFetcher;
import dev.banger.daemon.image.kernel.AptKernelPackages;
import dev.banger.daemon.image.kernel.DebKernelImporter;
import dev.banger.daemon.image.layers.FlattenResult;
import dev.banger.daemon.image.oci.ImageReference;
import dev.banger.daemon.image.oci.RegistryLogin;
import dev.banger.daemon.image.oci.PruneReport;
import dev.banger.daemon.image.recipe.DebianRecipe;
import dev.banger.daemon.image.recipe.Debootstrap;
import dev.banger.daemon.image.recipe.HostDebianMirror;
import dev.banger.daemon.image.rootfs.Ext4Builder;
import dev.banger.daemon.image.rootfs.Ext4Extractor;
import dev.banger.daemon.image.rootfs.Ext4WorkSeedBuilder;
import dev.banger.daemon.image.rootfs.WorkSeedBuilder;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.KernelRows;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every image and kernel registry operation. Slow work (fetch, flatten, ext4 build, guest
 * injection, work-seed) runs in a private staging directory with no lock held; only
 * {@link #publishImage} / {@link #publishKernel} take {@code imageOpsMu}, for the commit atom:
 * re-check the name is free, rename the staging dir into place, insert the row.
 */
public final class ImageService {

    private static final Logger log = LoggerFactory.getLogger(ImageService.class);

    /** The publication window (and the brief lookup + reference check + row delete of deletes). Nothing slow. */
    private final ReentrantLock imageOpsMu = new ReentrantLock();

    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;
    private final Clock clock;
    private final ScratchSpace scratch;
    private final BuiltRootfsCache builtRootfs;
    private final Map<String, InFlightPull> pullsInFlight = new ConcurrentHashMap<>();
    private final OciPull oci;
    private final BundleImages bundles;
    private final UnmanagedImages unmanaged;
    private final CatalogKernels catalogKernels;
    private final RecipeImages recipes;
    private final Ext4Extractor rootExtractor = new Ext4Extractor(Ext4Extractor.Limits.DEFAULT, isRoot());

    // Seams named as in the original: tests replace them before wireServices.
    PullAndFlatten pullAndFlatten;
    FinalizePulledRootfs finalizePulledRootfs;
    WorkSeedBuilder workSeedBuilder;
    BundleFetch bundleFetch;
    private final KernelImports kernelImports;

    /** Fetches a resolved image's layers and flattens them into {@code tree}. */
    @FunctionalInterface
    interface PullAndFlatten {
        PulledTree pull(OciPull.Session resolved, Path tree, OperationContext ctx) throws IOException, InterruptedException;
    }

    /** Makes {@code rootfsImage} (ext4, guest files injected) out of a flattened tree. */
    @FunctionalInterface
    interface FinalizePulledRootfs {
        void finish(Path tree, PulledTree pulled, Path rootfsImage, Long sizeBytes, String imageName, OperationContext ctx);
    }

    /** What a pull produced before the ext4 build. */
    record PulledTree(String digest, String arch, FlattenResult flatten) {
    }

    private record InFlightPull(String source, CompletableFuture<ImageInfo> result) {
    }

    /**
     * {@code image.pull} params. {@code size} like "4G"; {@code kernel_ref} names an imported kernel, or one in the kernel catalog
     * (pulled then); {@code auth}: credentials for the reference's registry the CLI resolved as the invoking user (kept for this pull only).
     */
    public record PullParams(String ref, String name, String kernelRef, String size, RegistryLogin auth) {
        public PullParams(String ref, String name, String kernelRef, String size) {
            this(ref, name, kernelRef, size, null);
        }
    }

    /**
     * {@code kernel.import} params: exactly one of {@code from}, a prepared kernel directory (vmlinuz,
     * optional vmlinux, initrd.img, modules/), {@code deb}, a Debian linux-image package (both host
     * paths: root only), {@code from_stream}, the token of an uploaded tar of such a directory, and
     * {@code deb_stream}, the token of an uploaded package. {@code label}: with a stream, how its
     * source is recorded (the path the user named; never opened).
     */
    public record KernelImportParams(String name, String from, String version, String distro, String deb,
                                     String fromStream, String debStream, String label) {
        public KernelImportParams(String name, String from, String version, String distro, String deb) {
            this(name, from, version, distro, deb, null, null, null);
        }

        public KernelImportParams(String name, String from, String version, String distro) {
            this(name, from, version, distro, null);
        }
    }

    /** Brings a bundle (http(s) URL or absolute file path) into {@code staging}; returns the file. */
    @FunctionalInterface
    interface BundleFetch {
        Path fetch(String source, Path staging, OperationContext ctx) throws IOException, InterruptedException;
    }

    /**
     * {@code image.bundle.pull} params: {@code bundle} a URL or an absolute path (root only), or
     * {@code bundle_stream} the token of the uploaded file (and {@code label}, how it is recorded);
     * {@code sha256} its hex digest.
     */
    public record BundlePullParams(String bundle, String sha256, String name, String bundleStream, String label) {
        public BundlePullParams(String bundle, String sha256, String name) {
            this(bundle, sha256, name, null, null);
        }
    }

    /**
     * {@code image.bundle.make} params: the rootfs tar as {@code rootfs_tar} (an absolute path, root
     * only) or {@code rootfs_tar_stream} (an upload's token); the bundle to {@code out} (an absolute
     * path, root only, never overwritten) or {@code out_stream} (a download's token).
     */
    public record BundleMakeParams(String rootfsTar, String name, String kernelRef, String distro, String out, String size,
                                   String rootfsTarStream, String outStream) {
        public BundleMakeParams(String rootfsTar, String name, String kernelRef, String distro, String out, String size) {
            this(rootfsTar, name, kernelRef, distro, out, size, null, null);
        }
    }

    /** What {@code image.bundle.make} wrote ({@code path} null when it went to {@code out_stream}). */
    public record BundleMade(String path, String sha256, long sizeBytes, String name, String kernelRef, boolean workSeed) {
    }

    /**
     * {@code image.register} params: {@code kernel_ref} or {@code kernel} (+ {@code initrd}). The
     * files as absolute paths (root only: recorded in place, an unmanaged image) or as the tokens of
     * uploads, {@code rootfs_stream}, {@code kernel_stream}, {@code initrd_stream} (copied in: a
     * managed image; {@code label}, how its source is recorded).
     */
    public record RegisterParams(String name, String rootfs, String kernel, String initrd, String kernelRef,
                                 String rootfsStream, String kernelStream, String initrdStream, String label) {
        public RegisterParams(String name, String rootfs, String kernel, String initrd, String kernelRef) {
            this(name, rootfs, kernel, initrd, kernelRef, null, null, null, null);
        }
    }

    public record CachePruneParams(Boolean dryRun) {
    }

    /**
     * {@code image.cache.prune}: blobs removed from {@code dir} and built rootfs entries ({@code builds})
     * removed, with the bytes that freed (or, with {@code dry_run}, would free).
     */
    public record CachePruneResult(String dir, int blobs, long bytes, int builds, boolean dryRun) {
    }

    /** {@code kernel.catalog}: {@code catalog} is "embedded" or the {@code kernel_catalog} file. */
    public record KernelCatalogList(String catalog, List<CatalogKernel> kernels) {
    }

    /**
     * A catalog entry; {@code imported}: a kernel of that name exists ({@code importedSha256} its sha256,
     * which differs when it is another build); {@code cached}: the artifact is in the download cache;
     * {@code package}: what apt fetches, for kind apt (which has no url or sha256).
     */
    public record CatalogKernel(String name, String kind, String version, String distro, String arch, String url,
                                String sha256, Long sizeBytes, String description, boolean imported, String importedSha256,
                                boolean cached, @com.fasterxml.jackson.annotation.JsonProperty("package") String aptPackage) {
    }

    public ImageService(Store store, CommandRunner runner, Layout layout, Config config, Clock clock) {
        this(store, runner, layout, config, clock, ScratchSpace.forState(layout));
    }

    /** {@code scratch}: where pulls unpack layers (tests give a small tmpfs of their own). */
    ImageService(Store store, CommandRunner runner, Layout layout, Config config, Clock clock, ScratchSpace scratch) {
        this.store = store;
        this.runner = runner;
        this.layout = layout;
        this.clock = clock;
        Ext4Builder ext4 = new Ext4Builder(runner);
        this.workSeedBuilder = new Ext4WorkSeedBuilder(ext4);
        this.oci = new OciPull(config, layout, isRoot());
        this.pullAndFlatten = OciPull.Session::fetchAndFlatten;
        this.finalizePulledRootfs = new RootfsFinalizer(ext4, runner)::finish;
        this.bundleFetch = new BundleFetcher(runner)::fetch;
        this.bundles = new BundleImages(this, store, clock, isRoot(), config.unpack());
        this.unmanaged = new UnmanagedImages(this, store, runner, layout, clock);
        this.kernelImports = new KernelImports(this, store, runner, layout, clock, new DebKernelImporter(runner),
                config.unpack());
        this.catalogKernels = new CatalogKernels(this, store, layout, config.kernelCatalog(), new AptKernelPackages(runner,
                layout.cacheDir().resolve("apt"), layout.kernelCacheDir().resolve("apt"), config.debian().kernelAptSources()));
        this.scratch = scratch;
        this.builtRootfs = new BuiltRootfsCache(layout, runner);
        this.recipes = new RecipeImages(this, new Debootstrap(runner), config.debian(), HostDebianMirror.ETC_APT, builtRootfs, clock);
    }

    /**
     * Removes what a daemon that died mid-pull left: staging dirs and its tmpfs scratch dir. Only
     * safe while holding the state dir's lock (Daemon.open does), since a live pull's staging
     * dir looks the same.
     */
    public void removeLeftovers() {
        Path dir = layout.stagingDir();
        if (Files.isDirectory(dir)) {
            try (java.util.stream.Stream<Path> children = Files.list(dir)) {
                children.forEach(p -> {
                    log.info("removing {} left by an earlier daemon", p);
                    deleteTreeQuietly(p);
                });
            } catch (IOException e) {
                log.warn("cannot list {}: {}", dir, e.getMessage());
            }
        }
        scratch.removeLeftover();
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
        String source = "oci:" + ref;
        return coalesced(name, source, ctx, () -> pullOci(ref, p.auth(), name, source, size, kernel, ctx));
    }

    /** True for the names of built-in images, which {@link #pull} builds rather than fetches. */
    public boolean isBuiltIn(String name) {
        return DebianRecipe.builtIn(name).isPresent();
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
        requireNameFree(name);
        Path staging = newStagingDir("pull-" + name);
        java.util.List<Path> trees = new java.util.ArrayList<>(); // the tree may live outside staging (tmpfs)
        try (OciPull.Session resolved = oci.resolve(ref, login, ctx)) {
            String digest = size == null ? resolved.image().manifestDigest() : null;
            java.util.Optional<Path> built = digest == null ? java.util.Optional.empty() : builtRootfs.find(digest);
            if (built.isPresent()) {
                ctx.progress("reuse the rootfs built by an earlier pull of " + digest);
                boolean seeded = builtRootfs.copyInto(built.get(), staging);
                ctx.progress("publish");
                return publishImage(staging, new ImageInfo(newId(), name, source, digest, null, "amd64", null,
                        "rootfs.ext4", seeded ? "work-seed.ext4" : null, kernel == null ? null : kernel.id(),
                        kernel == null ? null : kernel.name(), true, Files.size(staging.resolve("rootfs.ext4")), clock.instant()));
            }
            Path tree = scratch.newTree(staging);
            trees.add(tree);
            PulledTree pulled;
            try {
                pulled = pullAndFlatten.pull(resolved, tree, ctx);
            } catch (BangerException e) {
                if (!scratch.inMemory(tree) || !String.valueOf(e.getMessage()).contains("No space left")) {
                    throw e;
                }
                log.info("image {} does not fit the tmpfs scratch space; unpacking on disk", name);
                scratch.release(tree);
                tree = Files.createDirectory(staging.resolve("tree"));
                pulled = pullAndFlatten.pull(resolved, tree, ctx);
            }
            ctx.checkCancelled();
            Path rootfs = staging.resolve("rootfs.ext4");
            finalizePulledRootfs.finish(tree, pulled, rootfs, size, name, ctx);
            ctx.checkCancelled();
            ctx.progress("build work-seed");
            boolean seeded = buildWorkSeed(tree, staging.resolve("work-seed.ext4"), name);
            scratch.release(tree);
            if (size == null && pulled.digest() != null) {
                builtRootfs.store(pulled.digest(), rootfs, seeded ? staging.resolve("work-seed.ext4") : null);
            }
            ctx.progress("publish");
            ImageInfo draft = new ImageInfo(newId(), name, source, pulled.digest(), null, pulled.arch(), null,
                    "rootfs.ext4", seeded ? "work-seed.ext4" : null, kernel == null ? null : kernel.id(),
                    kernel == null ? null : kernel.name(), true, Files.size(rootfs), clock.instant());
            return publishImage(staging, draft);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "pull of " + ref + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull of " + ref + " cancelled");
        } finally {
            trees.forEach(scratch::release);
            deleteTreeQuietly(staging);
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
        PruneReport r = oci.prune(Boolean.TRUE.equals(p.dryRun()));
        long[] built;
        try {
            built = builtRootfs.prune(r.dryRun());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prune " + layout.cacheDir().resolve("rootfs") + ": " + e.getMessage(), e);
        }
        return new CachePruneResult(layout.downloadCacheDir().toString(), r.blobs(), r.bytes() + built[1], (int) built[0], r.dryRun());
    }

    /** Non-fatal by design: an image without a seed still boots, with an empty /root. */
    boolean buildWorkSeed(Path tree, Path out, String name) {
        try {
            workSeedBuilder.build(tree, out);
            return true;
        } catch (RuntimeException e) {
            log.warn("image {}: no work-seed ({}); VMs from it start with an empty /root", name, e.getMessage());
            deleteQuietly(out);
            return false;
        }
    }

    /**
     * As {@link #buildWorkSeed}, from the /root of an untrusted ext4 image, copied into {@code scratch}
     * by {@link Ext4Extractor} (never a tool that trusts the names in the image).
     */
    boolean buildWorkSeedFromImage(Path rootfs, Path scratch, Path out, String name) {
        try {
            Files.createDirectory(scratch);
            rootExtractor.extractRoot(rootfs, scratch);
            return buildWorkSeed(scratch, out, name);
        } catch (IOException | RuntimeException e) {
            log.warn("image {}: no work-seed ({}); VMs from it start with an empty /root", name, e.getMessage());
            return false;
        } finally {
            deleteTreeQuietly(scratch);
        }
    }

    /** A commit that is not a staging-dir rename (register, promote): one write transaction under imageOpsMu. */
    <T> T publishing(Store.SqlWork<T> commit) {
        imageOpsMu.lock();
        try {
            return store.write(commit);
        } finally {
            imageOpsMu.unlock();
        }
    }

    /**
     * The commit atom, under imageOpsMu: re-check the name, rename staging into the images dir,
     * insert the row. A loser of a same-name race fails here with already_exists and its staging
     * dir is removed by its caller.
     */
    ImageInfo publishImage(Path staging, ImageInfo draft) {
        imageOpsMu.lock();
        try {
            Path dir = layout.imagesDir().resolve(draft.id());
            ImageInfo published = new ImageInfo(draft.id(), draft.name(), draft.source(), draft.digest(), draft.distro(),
                    draft.arch(), dir.toString(), dir.resolve(draft.rootfsPath()).toString(),
                    draft.workSeedPath() == null ? null : dir.resolve(draft.workSeedPath()).toString(),
                    draft.kernelId(), draft.kernelName(), draft.managed(), draft.sizeBytes(), draft.createdAt());
            return store.write(c -> {
                if (ImageRows.byName(c, draft.name()).isPresent()) {
                    throw alreadyExists("image", draft.name());
                }
                makePrivate(staging);
                move(staging, dir);
                try {
                    ImageRows.insert(c, published);
                } catch (SQLException | RuntimeException e) {
                    move(dir, staging); // the caller's cleanup removes it; the images dir stays consistent with the store
                    throw e;
                }
                return published;
            });
        } finally {
            imageOpsMu.unlock();
        }
    }

    public List<ImageInfo> list() {
        return store.images().list();
    }

    public ImageInfo show(String ref) {
        return store.images().find(ref).orElseThrow(() -> BangerException.notFound("image '" + ref + "' not found"));
    }

    /** Lookup, reference check and row delete under the lock; the files go after it is released. */
    public ImageInfo delete(String ref) {
        ImageInfo image;
        List<KernelInfo> companion = new java.util.ArrayList<>();
        imageOpsMu.lock();
        try {
            image = store.write(c -> {
                ImageInfo i = ImageRows.byName(c, ref).or(() -> store.images().find(ref))
                        .orElseThrow(() -> BangerException.notFound("image '" + ref + "' not found"));
                List<String> vms = ImageRows.vmsUsing(c, i.id());
                if (!vms.isEmpty()) {
                    throw BangerException.badRequest("image " + i.name() + " is used by VM(s) " + String.join(", ", vms)
                            + ": delete them first");
                }
                ImageRows.delete(c, i.id());
                UnmanagedImages.dropCompanionKernel(c, i).ifPresent(companion::add);
                return i;
            });
        } finally {
            imageOpsMu.unlock();
        }
        if (image.managed() && image.dir() != null) {
            deleteTreeQuietly(Path.of(image.dir()));
        }
        companion.stream().filter(KernelInfo::managed).forEach(k -> deleteTreeQuietly(Path.of(k.dir())));
        return image;
    }

    // ---- kernels ----

    /** {@code kernel import --from DIR | --deb FILE}: see {@link KernelImports}. */
    public KernelInfo importKernel(KernelImportParams p, OperationContext ctx) {
        return kernelImports.importKernel(p, ctx);
    }

    /** A Debian linux-image package as kernel {@code name} (also the catalog's path): see {@link KernelImports}. */
    KernelInfo importDeb(String name, Path deb, String version, String distro, String source, OperationContext ctx) {
        return kernelImports.importDeb(name, deb, version, distro, source, ctx);
    }

    KernelInfo publishKernel(Path staging, KernelInfo k) {
        imageOpsMu.lock();
        try {
            return store.write(c -> {
                if (KernelRows.byName(c, k.name()).isPresent()) {
                    throw alreadyExists("kernel", k.name());
                }
                Path dir = Path.of(k.dir());
                privateDirs(staging);
                move(staging, dir);
                try {
                    KernelRows.insert(c, k);
                } catch (SQLException | RuntimeException e) {
                    move(dir, staging);
                    throw e;
                }
                return k;
            });
        } finally {
            imageOpsMu.unlock();
        }
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
        KernelInfo kernel;
        imageOpsMu.lock();
        try {
            kernel = store.write(c -> {
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
        } finally {
            imageOpsMu.unlock();
        }
        if (kernel.managed()) {
            deleteTreeQuietly(Path.of(kernel.dir()));
        }
        return kernel;
    }

    // ---- helpers ----

    void requireNameFree(String name) {
        if (store.images().find(name).isPresent()) {
            throw alreadyExists("image", name);
        }
    }

    static BangerException alreadyExists(String kind, String name) {
        return new BangerException(ErrorCode.ALREADY_EXISTS, kind + " '" + name + "' already exists (delete it first, or choose another --name)");
    }

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

    Path newStagingDir(String prefix) {
        try {
            Files.createDirectories(layout.stagingDir());
            return Files.createTempDirectory(layout.stagingDir(), prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + layout.stagingDir() + ": " + e.getMessage(), e);
        }
    }

    static String newId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    /**
     * An image dir is 0700 and its files (rootfs.ext4, work-seed.ext4: what a guest's disks start
     * from) 0600, whichever tool made them: mkfs.ext4, cp and friends create files by the daemon's umask.
     */
    static void makePrivate(Path imageDir) {
        FileModes.privateDir(imageDir);
        try (java.util.stream.Stream<Path> files = Files.list(imageDir)) {
            files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(FileModes::privateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + imageDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A kernel's directories (its own, modules/...) are 0700; its files stay as made (0644), as
     * Firecracker's jailer hard-links vmlinux and initrd.img into a chroot where the jail's uid must
     * read them. The 0700 directories keep everyone else out.
     */
    private static void privateDirs(Path kernelDir) {
        try (java.util.stream.Stream<Path> all = Files.walk(kernelDir)) {
            all.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(FileModes::privateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + kernelDir + ": " + e.getMessage(), e);
        }
    }

    static void move(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    private void deleteTree(Path dir) {
        runner.run(Command.of("rm", "-rf", "--one-file-system", dir.toString()));
    }

    void deleteTreeQuietly(Path dir) {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            // A cancelled request still cleans up: with the interrupt pending, CommandRunner would kill rm at once.
            boolean interrupted = Thread.interrupted();
            try {
                deleteTree(dir);
            } catch (RuntimeException e) {
                log.warn("cannot remove {}: {}", dir, e.getMessage());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }
}
