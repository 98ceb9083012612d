package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.layers.LayerFlattener;
import dev.banger.daemon.image.oci.BlobCache;
import dev.banger.daemon.image.oci.BlobSource;
import dev.banger.daemon.image.oci.Descriptor;
import dev.banger.daemon.image.oci.ImageReference;
import dev.banger.daemon.image.oci.PruneReport;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.oci.RegistryCredentials;
import dev.banger.daemon.image.oci.ResolvedImage;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OCI half of a pull: resolve the manifest, download layers in parallel (bounded) into the
 * digest-addressed cache, and flatten each into the tree as soon as it and every older layer are
 * there, so downloading and unpacking overlap.
 */
final class OciPull {

    static final int PARALLEL_DOWNLOADS = 4;

    private final Config config;
    private final BlobCache cache;
    private final boolean applyOwnership;
    /** Digests (config and layers) of the pulls running now, with how many pulls need each. */
    private final ConcurrentHashMap<String, Integer> pins = new ConcurrentHashMap<>();
    /** Read side: a pull resolving and pinning its digests. Write side: a prune. */
    private final ReentrantReadWriteLock pruneLock = new ReentrantReadWriteLock();

    OciPull(Config config, Layout layout, boolean applyOwnership) {
        this.config = config;
        this.cache = new BlobCache(layout.downloadCacheDir());
        this.applyOwnership = applyOwnership;
    }

    BlobCache cache() {
        return cache;
    }

    /**
     * The digest of the linux/amd64 image manifest {@code ref} names now (tags move), or null when
     * it cannot be resolved; the pull proper then reports why.
     */
    String currentDigest(ImageReference ref) {
        try (RegistryClient client = new RegistryClient(RegistryCredentials.fromDockerConfig(config.registryAuthFile()),
                new HashSet<>(config.insecureRegistries()), Duration.ofSeconds(30))) {
            return client.resolve(ref, cache).manifestDigest();
        } catch (RuntimeException e) {
            return null;
        }
    }

    ImageService.PulledTree pullAndFlatten(ImageReference ref, Path tree, OperationContext ctx) throws IOException {
        List<String> pinned = new ArrayList<>();
        try (RegistryClient client = new RegistryClient(RegistryCredentials.fromDockerConfig(config.registryAuthFile()),
                new HashSet<>(config.insecureRegistries()), Duration.ofMinutes(5))) {
            ctx.progress("resolve " + ref);
            ResolvedImage image = resolveAndPin(client, ref, pinned);
            if (!"amd64".equals(image.architecture())) {
                throw BangerException.badRequest(ref + " is a " + image.os() + "/" + image.architecture()
                        + " image; banger runs linux/amd64 guests");
            }
            long total = image.layerBytes();
            AtomicLong done = new AtomicLong();
            Semaphore slots = new Semaphore(PARALLEL_DOWNLOADS);
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            try {
                List<Future<Path>> blobs = new ArrayList<>();
                for (Descriptor layer : image.layers()) {
                    AtomicLong layerDone = new AtomicLong(); // fetchBlob reports a running total per blob
                    blobs.add(pool.submit(() -> {
                        slots.acquire();
                        try {
                            return cache.get(layer, BlobSource.checking((d, dest) -> client.fetchBlob(ref, d, dest,
                                    n -> ctx.progress("fetch layers", done.addAndGet(n - layerDone.getAndSet(n)), total))));
                        } finally {
                            slots.release();
                        }
                    }));
                }
                LayerFlattener flattener = new LayerFlattener(tree, applyOwnership, config.unpack());
                for (int i = 0; i < blobs.size(); i++) {
                    Path blob = await(blobs.get(i));
                    ctx.checkCancelled();
                    ctx.progress("unpack layer " + (i + 1) + "/" + blobs.size(), i, blobs.size());
                    try (InputStream in = Files.newInputStream(blob)) {
                        flattener.apply(in, image.layers().get(i).digest());
                    }
                }
                return new ImageService.PulledTree(image.manifestDigest(), image.architecture(), flattener.finish());
            } finally {
                pool.shutdownNow();
            }
        } finally {
            pinned.forEach(d -> pins.computeIfPresent(d, (k, n) -> n == 1 ? null : n - 1));
        }
    }

    /**
     * Resolves {@code ref} (its config blob goes through the cache) and pins the config and layer
     * digests until the pull ends, all under the read side of {@link #pruneLock}: a prune either
     * ran before (and the pull downloads again what it removed) or sees the pins.
     */
    private ResolvedImage resolveAndPin(RegistryClient client, ImageReference ref, List<String> pinned) {
        pruneLock.readLock().lock();
        try {
            ResolvedImage image = client.resolve(ref, cache);
            List<String> digests = new ArrayList<>();
            digests.add(image.config().digest());
            image.layers().forEach(l -> digests.add(l.digest()));
            digests.forEach(d -> pins.merge(d, 1, Integer::sum));
            pinned.addAll(digests);
            return image;
        } finally {
            pruneLock.readLock().unlock();
        }
    }

    /** Removes every cached blob that no running pull has pinned (see {@link BlobCache#prune}). */
    PruneReport prune(boolean dryRun) {
        pruneLock.writeLock().lock();
        try {
            return cache.prune(Set.copyOf(pins.keySet()), dryRun);
        } finally {
            pruneLock.writeLock().unlock();
        }
    }

    private static Path await(Future<Path> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "layer download failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
