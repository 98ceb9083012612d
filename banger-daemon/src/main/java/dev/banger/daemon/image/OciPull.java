package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.image.ImageReference;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.layers.LayerFlattener;
import dev.banger.daemon.image.oci.BlobCache;
import dev.banger.daemon.image.oci.BlobNotFoundException;
import dev.banger.daemon.image.oci.BlobSource;
import dev.banger.daemon.image.oci.Descriptor;
import dev.banger.daemon.image.oci.ManifestNotFoundException;
import dev.banger.daemon.image.oci.NoMatchingPlatformException;
import dev.banger.daemon.image.oci.PruneReport;
import dev.banger.daemon.image.oci.RegistryCancelledException;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.image.oci.RegistryCredentials;
import dev.banger.daemon.image.oci.RegistryException;
import dev.banger.core.api.RegistryLogin;
import dev.banger.daemon.image.oci.RegistryUnauthorizedException;
import dev.banger.daemon.image.oci.ResolvedImage;
import dev.banger.daemon.image.oci.RetryPolicy;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The OCI half of a pull, as steps over one {@link Session}: {@link #resolve} (one client, one
 * authentication, the manifest resolved once and its blobs pinned against prunes), then
 * {@link Session#fetchAndFlatten}: layers downloaded in parallel (bounded) into the
 * digest-addressed cache, each flattened into the tree as soon as it and every older layer are
 * there, so downloading and unpacking overlap. Registry failures become RPC errors here.
 */
final class OciPull {

    static final int PARALLEL_DOWNLOADS = 4;
    /** Connecting, waiting for headers, and silence mid-body; a broken or silent download is then resumed. */
    private static final Duration REGISTRY_TIMEOUT = Duration.ofSeconds(60);

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

    /**
     * Resolves {@code ref} to its linux/amd64 image with a client authenticated with the
     * daemon's registry_auth_file and, for {@code ref}'s registry, {@code login} (what the CLI
     * resolved). Close the session when the pull ends.
     */
    Session resolve(ImageReference ref, RegistryLogin login, OperationContext ctx) {
        RegistryCredentials creds;
        try {
            creds = RegistryCredentials.fromDockerConfig(config.registryAuthFile());
            if (login != null) {
                creds = creds.withLogin(ref.registry(), login.username(), login.password());
            }
        } catch (RegistryException e) {
            throw toBanger(e);
        }
        RegistryClient client = new RegistryClient(creds, new HashSet<>(config.insecureRegistries()), config.registryMirrors(),
                REGISTRY_TIMEOUT, RetryPolicy.defaults());
        List<String> pinned = new ArrayList<>();
        try {
            ctx.progress("resolve " + ref);
            return new Session(client, resolveAndPin(client, ref, pinned), pinned);
        } catch (RuntimeException e) {
            unpin(pinned);
            client.close();
            throw e instanceof RegistryException re ? toBanger(re) : e;
        }
    }

    /** One pull's client and resolved image; closing it unpins the blobs and closes the client. */
    final class Session implements AutoCloseable {
        private final RegistryClient client;
        private final ResolvedImage image;
        private final List<String> pinned;

        private Session(RegistryClient client, ResolvedImage image, List<String> pinned) {
            this.client = client;
            this.image = image;
            this.pinned = pinned;
        }

        ResolvedImage image() {
            return image;
        }

        /** Downloads the layers (cached ones are not) and flattens them into {@code tree}. */
        PulledTree fetchAndFlatten(Path tree, OperationContext ctx) throws IOException {
            try {
                return flatten(client, image, tree, ctx);
            } catch (RegistryException e) {
                throw toBanger(e);
            }
        }

        @Override
        public void close() {
            unpin(pinned);
            client.close();
        }
    }

    private PulledTree flatten(RegistryClient client, ResolvedImage image, Path tree, OperationContext ctx)
            throws IOException {
        ImageReference ref = image.ref();
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
                    } catch (RuntimeException e) {
                        NoSpaceException.throwIfFull(e, cache.path(layer.digest()), "downloading layer " + layer.digest() + " of " + ref);
                        throw e;
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
                } catch (RuntimeException e) {
                    NoSpaceException.throwIfFull(e, tree, "unpacking layer " + image.layers().get(i).digest() + " of " + ref);
                    throw e;
                }
            }
            return new PulledTree(image.manifestDigest(), image.architecture(), flattener.finish());
        } finally {
            pool.shutdownNow();
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

    private void unpin(List<String> pinned) {
        pinned.forEach(d -> pins.computeIfPresent(d, (k, n) -> n == 1 ? null : n - 1));
        pinned.clear();
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

    /**
     * The RPC error for a registry failure. A missing platform is NOT_FOUND like a missing tag:
     * the request was well-formed, the registry just has no linux/amd64 image under that name.
     */
    static BangerException toBanger(RegistryException e) {
        ErrorCode code = switch (e) {
            case RegistryUnauthorizedException u -> ErrorCode.UNAUTHORIZED;
            case ManifestNotFoundException m -> ErrorCode.NOT_FOUND;
            case BlobNotFoundException b -> ErrorCode.NOT_FOUND;
            case NoMatchingPlatformException p -> ErrorCode.NOT_FOUND;
            case RegistryCancelledException c -> ErrorCode.CANCELLED;
            default -> ErrorCode.OPERATION_FAILED;
        };
        return new BangerException(code, e.getMessage(), e);
    }

    private static Path await(Future<Path> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RegistryException re) {
                throw toBanger(re);
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "layer download failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
