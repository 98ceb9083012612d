package dev.banger.daemon.image.oci;

import dev.banger.core.config.RegistryMirror;
import dev.banger.core.image.ImageReference;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls from an OCI distribution registry (the {@code /v2/} API): resolves a reference to the
 * linux/amd64 image manifest and its config ({@link ManifestPuller}), and downloads blobs with
 * their digest and size checked while they stream, resuming broken downloads
 * ({@link BlobPuller}). Requests go through {@link RegistryTransport} (redirects, the
 * authentication challenge via {@link RegistryAuthenticator}) and {@link RegistryHttp}
 * (timeouts, retries).
 *
 * <p>HTTPS always, except for loopback registries and those in {@code insecureRegistries}. A
 * registry with {@code mirrors} is tried through them first, in order; when a mirror fails (down,
 * refusing, lacking the image) the next is tried and finally the registry itself. Blobs come from
 * where the manifest came from, falling back to the registry.
 *
 * <p>{@code timeout} bounds connecting, waiting for response headers, and any silence while a
 * body streams. Interrupting the calling thread cancels promptly. Failures are
 * {@link RegistryException}s. Thread-safe; create one per pull (its authorization is kept for the
 * pull) and close it afterwards.
 */
public final class RegistryClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

    private final InsecureRegistries insecure;
    private final List<RegistryMirror> mirrors;
    private final RegistryHttp http;
    private final ManifestPuller manifests;
    private final BlobPuller blobs;
    /** The mirror each resolved reference was found on, so its blobs come from there too. */
    private final Map<ImageReference, RegistryTarget> resolvedAt = new ConcurrentHashMap<>();

    public RegistryClient(RegistryCredentials creds, Set<String> insecureRegistries, Duration timeout) {
        this(creds, insecureRegistries, List.of(), timeout, RetryPolicy.defaults());
    }

    public RegistryClient(RegistryCredentials creds, Set<String> insecureRegistries, List<RegistryMirror> mirrors, Duration timeout,
                          RetryPolicy retry) {
        this.insecure = new InsecureRegistries(insecureRegistries);
        this.mirrors = List.copyOf(mirrors);
        this.http = new RegistryHttp(Objects.requireNonNull(timeout), retry);
        BodyReader bodies = new BodyReader(timeout);
        RegistryTransport transport = new RegistryTransport(http,
                new RegistryAuthenticator(http, bodies, creds != null ? creds : RegistryCredentials.none(), insecure));
        this.manifests = new ManifestPuller(transport, bodies);
        this.blobs = new BlobPuller(transport, bodies, retry, timeout);
    }

    /** As {@link #resolve(ImageReference, BlobCache)}, the config read into memory. */
    public ResolvedImage resolve(ImageReference ref) {
        return resolve(ref, null);
    }

    /**
     * Fetches the manifest {@code ref} names (by digest when pinned, else by tag), picks the
     * linux/amd64 manifest when it is an index, verifies each manifest's digest, and reads the
     * image config, through {@code cache} when given so a second pull fetches no blob.
     */
    public ResolvedImage resolve(ImageReference ref, BlobCache cache) {
        List<RegistryTarget> targets = targets(ref);
        for (int i = 0; ; i++) {
            RegistryTarget t = targets.get(i);
            try {
                ResolvedImage image = manifests.resolve(t, config -> readConfig(t, config, cache));
                if (i < targets.size() - 1) {
                    resolvedAt.put(ref, t);
                    log.info("resolved {} through mirror {}", ref, t.base());
                }
                return image;
            } catch (RegistryCancelledException | NoMatchingPlatformException e) {
                throw e;
            } catch (RegistryException e) {
                if (i == targets.size() - 1) {
                    throw e;
                }
                log.warn("mirror {} failed for {}, trying {}: {}", t.base(), ref, targets.get(i + 1).base(), e.getMessage());
            }
        }
    }

    private byte[] readConfig(RegistryTarget t, Descriptor config, BlobCache cache) {
        if (cache == null) {
            return blobs.read(t, config);
        }
        try {
            return Files.readAllBytes(cache.get(config, BlobSource.checking((d, dest) -> blobs.fetch(t, d, dest, n -> { }))));
        } catch (IOException e) {
            throw new RegistryException("cannot read the cached config " + config.digest() + " of " + t.ref() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Downloads {@code blob} of {@code ref}'s repository to {@code dest} (atomically: {@code dest}
     * appears complete and verified, or not at all). {@code bytesDone} receives the running total
     * of bytes received.
     */
    public void fetchBlob(ImageReference ref, Descriptor blob, Path dest, LongConsumer bytesDone) {
        RegistryTarget mirror = resolvedAt.get(ref);
        if (mirror != null) {
            try {
                blobs.fetch(mirror, blob, dest, bytesDone);
                return;
            } catch (RegistryCancelledException e) {
                throw e;
            } catch (RegistryException e) {
                log.warn("mirror {} failed for blob {} of {}, fetching it from {}: {}", mirror.base(), blob.digest(), ref,
                        ref.registry(), e.getMessage());
                bytesDone.accept(0);
            }
        }
        blobs.fetch(origin(ref), blob, dest, bytesDone);
    }

    /** The mirrors configured for {@code ref}'s registry, then the registry. */
    private List<RegistryTarget> targets(ImageReference ref) {
        List<RegistryTarget> out = new ArrayList<>();
        String host = RegistryCredentials.normalise(ref.registry());
        for (RegistryMirror m : mirrors) {
            if (RegistryCredentials.normalise(m.host()).equals(host)) {
                out.add(new RegistryTarget(ref, m.authority(), URI.create(m.url().getScheme() + "://" + m.authority())));
            }
        }
        out.add(origin(ref));
        return out;
    }

    private RegistryTarget origin(ImageReference ref) {
        return new RegistryTarget(ref, ref.registry(), baseUri(ref));
    }

    /** {@code https://registry}, or {@code http://} for loopback and insecure registries. */
    URI baseUri(ImageReference ref) {
        return insecure.baseUri(ref.registry());
    }

    /** Lets in-flight reads finish and refuses new requests. */
    @Override
    public void close() {
        http.close();
    }
}
