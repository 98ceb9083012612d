package dev.banger.daemon.image;

import dev.banger.core.api.KernelApi;
import dev.banger.core.Layout;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.kernel.AptKernelPackages;
import dev.banger.daemon.image.kernel.KernelCatalog;
import dev.banger.daemon.image.kernel.KernelPackageCache;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Store;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kernel.catalog}, {@code kernel.pull} and the catalog fallback of {@code image pull
 * --kernel-ref}: catalog entries ({@link KernelCatalog}, the embedded one or the file the config
 * key {@code kernel_catalog} names, read at each use), their artifacts verified and cached by
 * sha256 ({@link KernelPackageCache}), imported through {@link KernelImports#importDeb} (staging dir, no lock;
 * then the usual publish). Pulls of one name run one at a time (a per-name lock held
 * for the pull, waited for interruptibly), so two image pulls naming the same missing kernel import
 * it once.
 */
final class CatalogKernels {

    private static final Logger log = LoggerFactory.getLogger(CatalogKernels.class);

    private final KernelImports kernelImports;
    private final Store store;
    private final Path override;
    private final KernelPackageCache cache;
    private final AptKernelPackages apt;
    private final ConcurrentMap<String, ReentrantLock> pulls = new ConcurrentHashMap<>();

    CatalogKernels(KernelImports kernelImports, Store store, Layout layout, Path override, AptKernelPackages apt) {
        this.kernelImports = kernelImports;
        this.store = store;
        this.override = override;
        this.cache = new KernelPackageCache(layout.kernelCacheDir());
        this.apt = apt;
        if (override != null) {
            try {
                catalog();
            } catch (BangerException e) { // said at start; every use says it again until the file is fixed
                log.warn("{}", e.getMessage());
            }
        }
    }

    /** The catalog now: the config's file (read again each time) or the embedded one. */
    KernelCatalog catalog() {
        KernelCatalog c = override == null ? KernelCatalog.embedded() : KernelCatalog.load(override);
        for (KernelCatalog.Entry e : c.kernels()) {
            try {
                Names.validate("kernel", e.name());
            } catch (BangerException x) {
                throw KernelCatalog.invalid(c.origin(), x.getMessage());
            }
        }
        return c;
    }

    KernelApi.KernelCatalogList list() {
        KernelCatalog c = catalog();
        List<KernelApi.CatalogKernel> rows = c.kernels().stream().map(e -> {
            Optional<KernelInfo> imported = store.kernels().find(e.name());
            return new KernelApi.CatalogKernel(e.name(), e.kind().wire(), e.version(), e.distro(), e.arch(), e.url(),
                    e.sha256(), e.size(), e.description(), imported.isPresent(), imported.map(KernelInfo::sha256).orElse(null),
                    e.kind() == KernelCatalog.Kind.APT ? apt.isCached(e) : cache.isCached(e), e.aptPackage());
        }).toList();
        return new KernelApi.KernelCatalogList(c.origin(), rows);
    }

    /** {@code kernel pull NAME}: a name already imported is {@code already_exists}, as for {@code kernel import}. */
    KernelInfo pull(String name, OperationContext ctx) {
        KernelCatalog.Entry e = entry(name);
        if (store.kernels().find(name).isPresent()) {
            throw ImagePublisher.alreadyExists("kernel", name);
        }
        return pullOnce(e, false, ctx);
    }

    /**
     * A {@code kernel_ref}: the imported kernel of that name, else the catalog's (pulled now, with
     * progress), else {@code not_found} naming it.
     */
    KernelInfo resolve(String ref, OperationContext ctx) {
        Optional<KernelInfo> imported = store.kernels().find(ref);
        if (imported.isPresent()) {
            return imported.get();
        }
        KernelCatalog.Entry e = catalog().find(ref).orElseThrow(() -> BangerException.notFound("kernel '" + ref
                + "' is neither imported nor in the kernel catalog (see `banger kernel list` and `banger kernel list --available`)"));
        ctx.progress("pull kernel " + ref + " from the kernel catalog");
        return pullOnce(e, true, ctx);
    }

    private KernelCatalog.Entry entry(String name) {
        return catalog().find(name).orElseThrow(() -> BangerException.notFound("kernel '" + name
                + "' is not in the kernel catalog (see `banger kernel list --available`)"));
    }

    /** Download (or find cached) and import, one pull per name at a time; {@code reuse}: an imported kernel of that name will do. */
    private KernelInfo pullOnce(KernelCatalog.Entry e, boolean reuse, OperationContext ctx) {
        ReentrantLock lock = pulls.computeIfAbsent(e.name(), k -> new ReentrantLock());
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull of kernel " + e.name() + " cancelled while waiting for "
                    + "another pull of it");
        }
        try {
            Optional<KernelInfo> done = store.kernels().find(e.name()); // a pull we waited for, or an import
            if (done.isPresent()) {
                if (reuse) {
                    return done.get();
                }
                throw ImagePublisher.alreadyExists("kernel", e.name());
            }
            return switch (e.kind()) {
                case DEB -> {
                    Path artifact = cache.get(e, ctx);
                    ctx.checkCancelled();
                    yield kernelImports.importDeb(e.name(), artifact, e.version(), e.distro(), "deb:" + e.url(), ctx);
                }
                case APT -> {
                    Path artifact = apt.get(e, ctx);
                    ctx.checkCancelled();
                    yield kernelImports.importDeb(e.name(), artifact, null, e.distro(), "apt:" + e.aptPackage() + " ("
                            + artifact.getFileName() + ")", ctx);
                }
            };
        } catch (BangerException x) {
            if (x.code() == ErrorCode.BAD_REQUEST) { // the package is not what its catalog entry says: not the caller's doing
                throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel catalog entry " + e.name() + " (" + (e.url() != null
                        ? e.url() : "apt package " + e.aptPackage()) + "): " + x.getMessage(), x);
            }
            if (reuse && x.code() == ErrorCode.ALREADY_EXISTS) { // a `kernel import` of this name won the publish
                Optional<KernelInfo> winner = store.kernels().find(e.name());
                if (winner.isPresent()) {
                    return winner.get();
                }
            }
            throw x;
        } finally {
            lock.unlock();
        }
    }
}
