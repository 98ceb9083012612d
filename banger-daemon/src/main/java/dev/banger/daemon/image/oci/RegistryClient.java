package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.BuildInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls from an OCI distribution registry (the {@code /v2/} API): resolves a reference to the
 * linux/amd64 image manifest and its config, and downloads blobs with their digest and size
 * checked while they stream.
 *
 * <p>HTTPS always, except for loopback registries and those in {@code insecureRegistries}, which
 * get plain HTTP; there is no fallback from one to the other. Authentication follows the
 * registry's {@code WWW-Authenticate} challenge: a bearer token from its token service (sent the
 * configured Basic credentials, if any), or Basic credentials directly. The resulting
 * {@code Authorization} value is kept per registry and repository for this client's lifetime (one
 * pull) and is never sent to another host a blob request is redirected to.
 *
 * <p>{@code timeout} bounds connecting, waiting for response headers, and any silence while a
 * body streams. Interrupting the calling thread cancels a request or download promptly. Every
 * failure is a {@link BangerException} naming the registry, repository and tag or digest.
 * Thread-safe; create one per pull and close it afterwards.
 */
public final class RegistryClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);

    static final String ACCEPT_MANIFESTS = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST,
            MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST);
    private static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_CONFIG_BYTES = 16 << 20;
    private static final int MAX_ERROR_BODY_BYTES = 64 << 10;
    private static final int MAX_REDIRECTS = 10;
    private static final String AUTH_HINT = "the docker config.json named by registry_auth_file";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One daemon thread watches every running body read for silence longer than the timeout. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "registry-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final RegistryCredentials creds;
    private final Set<String> insecureRegistries;
    private final Duration timeout;
    private final HttpClient http;
    private final String userAgent = "banger/" + BuildInfo.current().version();
    /** "registry repository" -> Authorization header value that worked (Bearer token or Basic). */
    private final Map<String, String> authorization = new ConcurrentHashMap<>();

    public RegistryClient(RegistryCredentials creds, Set<String> insecureRegistries, Duration timeout) {
        this.creds = creds != null ? creds : RegistryCredentials.none();
        this.insecureRegistries = Set.copyOf(insecureRegistries);
        this.timeout = Objects.requireNonNull(timeout);
        // HTTP/1.1: parallel layer downloads get a connection each, and no h2c upgrade on plain HTTP.
        // Redirects are followed by hand so the Authorization header stays with the registry.
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    // ---------------------------------------------------------------- resolve

    /**
     * Fetches the manifest {@code ref} names (by digest when pinned, else by tag), picks the
     * linux/amd64 manifest when it is an index, verifies each manifest's digest, and reads the
     * image config.
     */
    public ResolvedImage resolve(ImageReference ref) {
        return resolve(ref, null);
    }

    /** As {@link #resolve(ImageReference)}, reading the config blob through {@code cache} so a second pull fetches no blob. */
    public ResolvedImage resolve(ImageReference ref, BlobCache cache) {
        Manifest top = fetchManifest(ref, ref.manifestReference(), ref.digest());
        Manifest image = top;
        if (MediaTypes.isIndex(top.mediaType)) {
            Descriptor chosen = choosePlatform(ref, top);
            image = fetchManifest(ref, chosen.digest(), chosen.digest());
            if (!MediaTypes.isImageManifest(image.mediaType)) {
                throw failed("the linux/amd64 entry of " + ref + " is a " + image.mediaType + ", not an image manifest");
            }
        } else if (!MediaTypes.isImageManifest(top.mediaType)) {
            throw failed(ref + " is not a container image (manifest media type " + top.mediaType + ")");
        }

        Descriptor config = descriptor(ref, image.json.path("config"), "config");
        if (!MediaTypes.isImageConfig(config.mediaType())) {
            throw failed(ref + " is not a container image (its config has media type " + config.mediaType() + ")");
        }
        List<Descriptor> layers = new ArrayList<>();
        JsonNode layerNodes = image.json.path("layers");
        if (!layerNodes.isArray()) {
            throw failed("the manifest of " + ref + " is malformed: it has no \"layers\" list");
        }
        for (JsonNode n : layerNodes) {
            Descriptor layer = descriptor(ref, n, "layer");
            if (MediaTypes.layerCompression(layer.mediaType()) == null) {
                throw failed(ref + " has a layer of media type " + layer.mediaType() + " (" + layer.digest()
                        + "), which banger cannot unpack (it reads tar, tar+gzip and tar+zstd layers)");
            }
            layers.add(layer);
        }
        if (config.size() > MAX_CONFIG_BYTES) {
            throw failed("the config of " + ref + " is " + config.size() + " bytes, over the " + MAX_CONFIG_BYTES + " banger accepts");
        }
        JsonNode cfg;
        try {
            byte[] configBytes;
            if (cache != null) {
                configBytes = java.nio.file.Files.readAllBytes(cache.get(config, BlobSource.checking((d, dest) -> fetchBlob(ref, d, dest, n -> { }))));
            } else {
                ByteArrayOutputStream buf = new ByteArrayOutputStream((int) config.size());
                download(ref, config, buf, n -> { });
                configBytes = buf.toByteArray();
            }
            cfg = JSON.readTree(configBytes);
        } catch (IOException e) {
            throw failed("the config of " + ref + " (" + config.digest() + ") is not valid JSON: " + e.getMessage());
        }
        String os = text(cfg.path("os"));
        String arch = text(cfg.path("architecture"));
        if ((!os.isEmpty() || !arch.isEmpty()) && !(os.equals("linux") && arch.equals("amd64"))) {
            throw BangerException.notFound(ref + " is a " + os + "/" + arch + " image; banger runs linux/amd64 images");
        }
        JsonNode c = cfg.path("config");
        return new ResolvedImage(ref, image.digest, config, layers, os, arch,
                strings(ref, c.path("Env"), "Env"), strings(ref, c.path("Entrypoint"), "Entrypoint"),
                strings(ref, c.path("Cmd"), "Cmd"), text(c.path("WorkingDir")), text(c.path("User")));
    }

    private record Manifest(String mediaType, String digest, JsonNode json) {
    }

    private Manifest fetchManifest(ImageReference ref, String reference, String expectedDigest) {
        String what = reference.startsWith("sha256:") ? "manifest " + reference : "tag '" + reference + "'";
        HttpResponse<InputStream> r = send(ref, "/v2/" + ref.repository() + "/manifests/" + reference, ACCEPT_MANIFESTS);
        try {
            int status = r.statusCode();
            if (status == 404) {
                String code = errorCode(r);
                throw notFound(ref, what, code);
            }
            checkStatus(ref, r, what);
            byte[] body = readSmall(ref, r, MAX_MANIFEST_BYTES, "the manifest for " + what);
            String digest = Digests.of(body);
            String expected = expectedDigest;
            if (expected == null) {
                String header = r.headers().firstValue("Docker-Content-Digest").orElse(null);
                if (Digests.isSha256(header)) {
                    expected = header;
                }
            }
            if (expected != null && !expected.equals(digest)) {
                throw failed("manifest " + expected + " from " + hostRepo(ref) + " failed verification (got " + digest + ")");
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw failed("the manifest for " + what + " in " + hostRepo(ref) + " is not valid JSON: " + e.getMessage());
            }
            if (json == null || !json.isObject()) {
                throw failed("the manifest for " + what + " in " + hostRepo(ref) + " is not a JSON object");
            }
            String mediaType = mediaTypeOf(r, json);
            if (MediaTypes.DOCKER_SCHEMA1.contains(mediaType) || json.path("schemaVersion").asInt() == 1) {
                throw failed(ref + " uses the docker schema 1 manifest format, which banger does not read; push it again with a current docker or buildah");
            }
            return new Manifest(mediaType, digest, json);
        } finally {
            discard(r);
        }
    }

    /** The body's own mediaType wins; else the Content-Type; else guessed from the shape. */
    private static String mediaTypeOf(HttpResponse<?> r, JsonNode json) {
        String inBody = text(json.path("mediaType"));
        if (!inBody.isEmpty()) {
            return inBody;
        }
        String header = r.headers().firstValue("Content-Type").orElse("");
        int semi = header.indexOf(';');
        header = (semi >= 0 ? header.substring(0, semi) : header).strip().toLowerCase(Locale.ROOT);
        if (!header.isEmpty() && !header.equals("application/json") && !header.equals("text/plain")) {
            return header;
        }
        if (json.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        return json.has("layers") ? MediaTypes.OCI_MANIFEST : header;
    }

    private Descriptor choosePlatform(ImageReference ref, Manifest index) {
        Set<String> available = new LinkedHashSet<>();
        Descriptor best = null;
        boolean bestHasVariant = true;
        for (JsonNode m : index.json.path("manifests")) {
            JsonNode p = m.path("platform");
            String os = text(p.path("os"));
            String arch = text(p.path("architecture"));
            String variant = text(p.path("variant"));
            if (os.equals("linux") && arch.equals("amd64")) {
                if (best == null || bestHasVariant && variant.isEmpty()) {
                    best = descriptor(ref, m, "manifest");
                    bestHasVariant = !variant.isEmpty();
                }
            } else if (!os.isEmpty() && !os.equals("unknown")) { // unknown/unknown: build attestations
                available.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
            }
        }
        if (best == null) {
            throw BangerException.notFound(ref + " has no linux/amd64 image (available: "
                    + (available.isEmpty() ? "none" : String.join(", ", available)) + ")");
        }
        return best;
    }

    // ---------------------------------------------------------------- blobs

    /**
     * Downloads {@code blob} of {@code ref}'s repository to {@code dest}: streams to
     * {@code dest.tmp}, checking size and sha256 on the way, then renames it into place. On any
     * failure (or interruption) {@code dest.tmp} is removed and {@code dest} is left as it was.
     * {@code bytesDone} receives the running total of bytes received.
     */
    public void fetchBlob(ImageReference ref, Descriptor blob, Path dest, LongConsumer bytesDone) {
        Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
        boolean done = false;
        try {
            if (dest.getParent() != null) {
                Files.createDirectories(dest.getParent());
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE);
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                download(ref, blob, out, bytesDone);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw cancelled("download of blob " + blob.digest() + " from " + hostRepo(ref));
            }
            throw failed("cannot write blob " + blob.digest() + " to " + tmp + ": " + e.getMessage());
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    log.warn("cannot remove partial download {}: {}", tmp, e.toString());
                }
            }
        }
    }

    /** GETs a blob into {@code sink}, failing as soon as it is longer than declared; checks size and digest at the end. */
    private void download(ImageReference ref, Descriptor blob, OutputStream sink, LongConsumer bytesDone) {
        String digest = blob.digest();
        if (!Digests.isSha256(digest)) {
            throw failed(hostRepo(ref) + " names a blob by digest '" + digest + "'; banger accepts sha256 digests only");
        }
        String label = "blob " + digest + " from " + hostRepo(ref);
        HttpResponse<InputStream> r = send(ref, "/v2/" + ref.repository() + "/blobs/" + digest, "*/*");
        try {
            if (r.statusCode() == 404) {
                throw BangerException.notFound("blob " + digest + " not found in " + hostRepo(ref));
            }
            checkStatus(ref, r, "blob " + digest);
            MessageDigest md = Digests.sha256();
            long[] received = {0};
            stream(r, label, blob.size(), (buf, n) -> {
                received[0] += n;
                if (received[0] > blob.size()) {
                    throw failed(label + " is longer than the " + blob.size() + " bytes its manifest declares");
                }
                md.update(buf, 0, n);
                sink.write(buf, 0, n);
                bytesDone.accept(received[0]);
            });
            if (received[0] < blob.size()) {
                throw truncated(label, received[0], blob.size(), null);
            }
            String got = Digests.of(md);
            if (!got.equals(digest)) {
                throw failed(label + " failed verification (got " + got + ")");
            }
        } finally {
            discard(r);
        }
    }

    @FunctionalInterface
    private interface Chunk {
        void accept(byte[] buf, int n) throws IOException;
    }

    /**
     * Reads a response body chunk by chunk under the stall watchdog. Read errors become
     * "cancelled", "stalled" or "ended after N of M bytes"; errors of {@code sink} (the disk)
     * propagate as IOException for the caller to name.
     */
    private void stream(HttpResponse<InputStream> r, String label, long expected, Chunk sink) {
        Watchdog dog = new Watchdog(Thread.currentThread());
        long received = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    dog.stop();
                    if (dog.fired) {
                        throw failed(label + " stalled: no data for " + human(timeout) + " after " + received + " bytes");
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        throw cancelled("download of " + label);
                    }
                    throw truncated(label, received, expected, e);
                }
                if (n < 0) {
                    break;
                }
                dog.progress();
                if (Thread.currentThread().isInterrupted()) {
                    throw cancelled("download of " + label);
                }
                received += n;
                sink.accept(buf, n);
            }
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted() && !dog.fired) {
                throw cancelled("download of " + label);
            }
            throw failed("cannot store " + label + ": " + e.getMessage());
        } finally {
            dog.stop();
        }
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private BangerException truncated(String label, long received, long expected, IOException cause) {
        String why = cause == null ? "" : " (" + describe(cause) + ")";
        if (expected < 0) {
            return new BangerException(ErrorCode.OPERATION_FAILED, "reading " + label + " failed after " + received + " bytes" + why, cause);
        }
        return new BangerException(ErrorCode.OPERATION_FAILED, label + " ended after " + received + " of " + expected + " bytes" + why, cause);
    }

    private byte[] readSmall(ImageReference ref, HttpResponse<InputStream> r, int max, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stream(r, what + " from " + hostRepo(ref), -1, (buf, n) -> {
            if (out.size() + n > max) {
                throw failed(what + " in " + hostRepo(ref) + " is larger than " + max + " bytes");
            }
            out.write(buf, 0, n);
        });
        return out.toByteArray();
    }

    /**
     * Interrupts the reading thread when no byte has arrived for {@code timeout}; the read then
     * fails and {@link #fired} tells a stall from a cancellation.
     */
    private final class Watchdog {
        private final Thread reader;
        private final ScheduledFuture<?> task;
        private volatile long lastProgress = System.nanoTime();
        private volatile boolean fired;
        private boolean stopped;

        Watchdog(Thread reader) {
            this.reader = reader;
            long period = Math.max(10, Math.min(1000, timeout.toMillis() / 4));
            this.task = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
        }

        void progress() {
            lastProgress = System.nanoTime();
        }

        private synchronized void check() {
            if (!stopped && System.nanoTime() - lastProgress > timeout.toNanos()) {
                fired = true;
                stopped = true;
                task.cancel(false);
                reader.interrupt();
            }
        }

        /** Called on the reading thread; a stall's interrupt is ours, so it is cleared. */
        synchronized void stop() {
            stopped = true;
            task.cancel(false);
            if (fired) {
                Thread.interrupted();
            }
        }
    }

    // ---------------------------------------------------------------- HTTP and auth

    /** {@code https://registry}, or {@code http://} for loopback and insecure registries. */
    URI baseUri(ImageReference ref) {
        return URI.create((plainHttpAllowed(ref.registry()) ? "http://" : "https://") + ref.registry());
    }

    private boolean plainHttpAllowed(String registry) {
        if (insecureRegistries.contains(registry)) {
            return true;
        }
        ImageReference probe = new ImageReference(registry, "x", "latest", null);
        if (probe.isLoopback()) {
            return true;
        }
        int colon = registry.lastIndexOf(':');
        return colon > 0 && !registry.endsWith("]") && insecureRegistries.contains(registry.substring(0, colon));
    }

    /**
     * GETs {@code path} from the registry: answers one authentication challenge, follows
     * redirects (dropping Authorization when they leave the registry's origin), and returns the
     * final response, whatever its status, for the caller to check. Close it.
     */
    private HttpResponse<InputStream> send(ImageReference ref, String path, String accept) {
        URI base = baseUri(ref);
        URI uri = base.resolve(path);
        String authKey = ref.registry() + " " + ref.repository();
        boolean challenged = false;
        int redirects = 0;
        while (true) {
            boolean atRegistry = sameOrigin(uri, base);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(timeout)
                    .header("User-Agent", userAgent).header("Accept", accept);
            String auth = atRegistry ? authorization.get(authKey) : null;
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<InputStream> r = exchange(ref, b.build());
            int status = r.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                String location = r.headers().firstValue("Location").orElse(null);
                discard(r);
                if (location == null) {
                    throw failed("registry " + ref.registry() + " answered " + status + " without a Location for " + path);
                }
                if (++redirects > MAX_REDIRECTS) {
                    throw failed("registry " + ref.registry() + " redirected " + path + " more than " + MAX_REDIRECTS + " times");
                }
                URI next;
                try {
                    next = uri.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw failed("registry " + ref.registry() + " redirected " + path + " to an invalid URL: " + location);
                }
                boolean allowed = "https".equals(next.getScheme()) || "http".equals(next.getScheme()) && "http".equals(uri.getScheme());
                if (!allowed || next.getHost() == null) {
                    throw failed("registry " + ref.registry() + " redirected " + path + " to " + next.getScheme() + "://" + next.getHost()
                            + ", which banger does not follow (it never downgrades HTTPS to HTTP)");
                }
                uri = next;
                continue;
            }
            if (status == 401 && atRegistry && !challenged) {
                challenged = true;
                List<String> header = r.headers().allValues("WWW-Authenticate");
                discard(r);
                authorization.put(authKey, authenticate(ref, Challenge.parse(header)));
                continue;
            }
            return r;
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** Answers a 401 challenge: returns the Authorization value to retry with, or throws unauthorized. */
    private String authenticate(ImageReference ref, List<Challenge> challenges) {
        Challenge bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst().orElse(null);
        var basic = creds.basicAuthFor(ref.registry());
        if (bearer != null) {
            return "Bearer " + fetchToken(ref, bearer, basic.orElse(null));
        }
        if (challenges.stream().anyMatch(c -> c.scheme().equals("basic")) || challenges.isEmpty()) {
            return basic.orElseThrow(() -> unauthorized(ref));
        }
        throw failed("registry " + ref.registry() + " asks for " + challenges.getFirst().scheme()
                + " authentication, which banger does not support (it speaks Bearer and Basic)");
    }

    private String fetchToken(ImageReference ref, Challenge bearer, String basic) {
        String realm = bearer.param("realm");
        if (realm == null || realm.isBlank()) {
            throw failed("registry " + ref.registry() + " asks for a bearer token but names no token service (realm)");
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw failed("registry " + ref.registry() + " names an invalid token service '" + realm + "'");
        }
        String realmHost = realmUri.getPort() >= 0 ? realmUri.getHost() + ":" + realmUri.getPort() : realmUri.getHost();
        boolean https = "https".equals(realmUri.getScheme());
        // A token service on another host is normal (Docker Hub's is auth.docker.io), but it gets the
        // registry's credentials: plain HTTP only to the registry's own host, and only where the
        // registry itself is reached over plain HTTP (loopback, insecure_registries).
        boolean sameHost = realmUri.getHost() != null && realmUri.getHost().equalsIgnoreCase(baseUri(ref).getHost());
        if (realmUri.getHost() == null
                || !https && !("http".equals(realmUri.getScheme()) && sameHost && plainHttpAllowed(realmHost))) {
            throw failed("registry " + ref.registry() + " names token service " + realm
                    + ", which banger does not use (a token service gets the registry's credentials: HTTPS is required,"
                    + " plain HTTP only on the registry's own host when that is loopback or in insecure_registries)");
        }
        String scope = bearer.param("scope") != null ? bearer.param("scope") : "repository:" + ref.repository() + ":pull";
        StringBuilder query = new StringBuilder();
        if (bearer.param("service") != null) {
            query.append("service=").append(URLEncoder.encode(bearer.param("service"), StandardCharsets.UTF_8)).append('&');
        }
        query.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).GET().timeout(timeout).header("User-Agent", userAgent);
        if (basic != null) {
            b.header("Authorization", basic);
        }
        HttpResponse<InputStream> r = exchange(ref, b.build());
        try {
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                discard(r);
                throw unauthorized(ref);
            }
            byte[] body = readSmall(ref, r, 1 << 20, "the token from " + realm);
            if (r.statusCode() != 200) {
                throw failed("token service " + realm + " of registry " + ref.registry() + " answered " + r.statusCode()
                        + " for " + ref.repository() + errorMessage(body));
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw failed("token service " + realm + " of registry " + ref.registry() + " sent invalid JSON");
            }
            String token = text(json.path("token"));
            if (token.isEmpty()) {
                token = text(json.path("access_token"));
            }
            if (token.isEmpty()) {
                throw failed("token service " + realm + " of registry " + ref.registry() + " sent no token");
            }
            return token;
        } finally {
            discard(r);
        }
    }

    private HttpResponse<InputStream> exchange(ImageReference ref, HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelled("request to registry " + ref.registry());
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw cancelled("request to registry " + ref.registry());
            }
            String host = req.uri().getPort() >= 0 ? req.uri().getHost() + ":" + req.uri().getPort() : req.uri().getHost();
            String where = host.equalsIgnoreCase(ref.registry()) ? "registry " + host : host + " (for registry " + ref.registry() + ")";
            String hint = "";
            if (hasCause(e, SSLException.class) && "https".equals(req.uri().getScheme())) {
                hint = " (if " + host + " serves plain HTTP, list it in insecure_registries)";
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot reach " + where + ": " + describe(e) + hint, e);
        }
    }

    /** Maps a non-2xx status (other than 404, handled by the caller) to a user-facing error. */
    private void checkStatus(ImageReference ref, HttpResponse<InputStream> r, String what) {
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
            return;
        }
        byte[] body = errorBody(r);
        if (status == 401 || status == 403) {
            throw unauthorized(ref);
        }
        if (status == 429) {
            throw failed("registry " + ref.registry() + " is limiting requests (429 Too Many Requests) for " + what
                    + " in " + ref.repository() + "; try again later" + errorMessage(body));
        }
        throw failed("registry " + ref.registry() + " answered " + status + " for " + what + " in " + ref.repository()
                + errorMessage(body));
    }

    /** A 404 for a manifest: the repository or the tag is missing; tags/list tells which. */
    private BangerException notFound(ImageReference ref, String what, String code) {
        if (!"NAME_UNKNOWN".equals(code)) {
            HttpResponse<InputStream> tags = null;
            try {
                tags = send(ref, "/v2/" + ref.repository() + "/tags/list?n=20", "application/json");
                if (tags.statusCode() == 404) {
                    code = errorCode(tags);
                } else if (tags.statusCode() == 200 && !what.startsWith("manifest ")) {
                    JsonNode json = JSON.readTree(readSmall(ref, tags, 1 << 20, "the tag list"));
                    List<String> names = new ArrayList<>();
                    json.path("tags").forEach(t -> names.add(t.asText()));
                    if (!names.isEmpty()) {
                        return BangerException.notFound(what + " not found in " + hostRepo(ref) + " (it has "
                                + String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", ..." : "") + ")");
                    }
                }
            } catch (BangerException | IOException e) {
                log.debug("listing tags of {} failed: {}", hostRepo(ref), e.toString());
            } finally {
                if (tags != null) {
                    discard(tags);
                }
            }
        }
        if ("NAME_UNKNOWN".equals(code)) {
            return BangerException.notFound("repository " + ref.repository() + " not found in " + ref.registry());
        }
        return BangerException.notFound(what + " not found in " + hostRepo(ref));
    }

    private static String errorCode(HttpResponse<InputStream> r) {
        try {
            JsonNode json = JSON.readTree(errorBody(r));
            return json == null ? null : text(json.path("errors").path(0).path("code"));
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] errorBody(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            return in.readNBytes(MAX_ERROR_BODY_BYTES);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** ": message" from a registry's {"errors": [{"code", "message"}]} body, or the start of a plain-text body. */
    private static String errorMessage(byte[] body) {
        if (body.length == 0) {
            return "";
        }
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null) {
                List<String> parts = new ArrayList<>();
                json.path("errors").forEach(e -> parts.add(text(e.path("message")).isEmpty() ? text(e.path("code")) : text(e.path("message"))));
                if (!parts.isEmpty()) {
                    return ": " + String.join("; ", parts);
                }
            }
        } catch (IOException e) {
            // not JSON: fall through to the text
        }
        String s = new String(body, StandardCharsets.UTF_8).strip().replaceAll("\\s+", " ");
        return s.isEmpty() ? "" : ": " + (s.length() > 200 ? s.substring(0, 200) + "..." : s);
    }

    private static void discard(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // nothing to keep
        }
    }

    // ---------------------------------------------------------------- helpers

    private Descriptor descriptor(ImageReference ref, JsonNode n, String role) {
        String mediaType = text(n.path("mediaType"));
        String digest = text(n.path("digest"));
        JsonNode size = n.path("size");
        if (!n.isObject() || digest.isEmpty() || !size.canConvertToLong() || size.asLong() < 0) {
            throw failed("the manifest of " + ref + " is malformed: a " + role + " descriptor lacks a digest or size");
        }
        if (!Digests.isSha256(digest)) {
            throw failed("the manifest of " + ref + " names a " + role + " by digest '" + digest + "'; banger accepts sha256 digests only");
        }
        return new Descriptor(mediaType, digest, size.asLong());
    }

    private static List<String> strings(ImageReference ref, JsonNode n, String field) {
        if (n.isMissingNode() || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw failed("the config of " + ref + " is malformed: " + field + " is not a list of strings");
        }
        List<String> out = new ArrayList<>();
        n.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static String text(JsonNode n) {
        return n.isTextual() ? n.asText() : "";
    }

    private static String hostRepo(ImageReference ref) {
        return ref.registry() + "/" + ref.repository();
    }

    private BangerException unauthorized(ImageReference ref) {
        boolean haveCreds = creds.basicAuthFor(ref.registry()).isPresent();
        return new BangerException(ErrorCode.UNAUTHORIZED, "registry " + ref.registry() + " refused access to " + ref.repository()
                + (haveCreds ? " with the credentials for " + ref.registry() + " in " + AUTH_HINT + " (check them, and the repository name)"
                : " (add credentials to " + AUTH_HINT + ", or check the repository name)"));
    }

    private static BangerException failed(String message) {
        return new BangerException(ErrorCode.OPERATION_FAILED, message);
    }

    private static BangerException cancelled(String what) {
        return new BangerException(ErrorCode.CANCELLED, what + " was cancelled");
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The reason a person can act on: "unknown host", "connection refused", ... */
    static String describe(IOException e) {
        if (hasCause(e, UnresolvedAddressException.class) || hasCause(e, UnknownHostException.class)) {
            return "unknown host";
        }
        if (hasCause(e, HttpConnectTimeoutException.class)) {
            return "connection timed out";
        }
        if (hasCause(e, HttpTimeoutException.class)) {
            return "no answer in time";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return "TLS failed: " + t.getMessage();
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        // The JDK client drops the message of a refused connection; a bare ConnectException is that.
        return hasCause(e, ConnectException.class) ? "connection refused" : e.getClass().getSimpleName();
    }

    /** Lets in-flight reads finish and refuses new requests. */
    @Override
    public void close() {
        http.shutdownNow();
    }
}
