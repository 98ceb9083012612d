package dev.banger.daemon.image.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.banger.core.image.ImageReference;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-test registry on {@code 127.0.0.1} (JDK HttpServer) for what docker-registry cannot
 * do: a bearer-token challenge with its token service, and misbehaviour on request (a corrupt,
 * truncated, stalled or failing blob, a redirect to another host, rate limiting), each for every
 * request or the next few. It serves GET of manifests and blobs only (ignoring Range: every
 * answer is the whole blob); every request is recorded with its Authorization and Range headers.
 */
public final class FakeRegistry implements AutoCloseable {

    /** What to do instead of answering a request whose last path segment (a tag or digest) matches. */
    public enum Fault {
        /** The right size, one byte flipped. */
        CORRUPT,
        /** Content-Length of the whole blob, half of it sent, then the connection closed. */
        TRUNCATE,
        /** 200 and the first bytes, then silence until the connection is dropped by the client. */
        STALL,
        /** 500 with a registry error body. */
        SERVER_ERROR,
        /** 307 to the same path on the "blob storage" server, another host (127.0.0.2, else another port). */
        REDIRECT,
        /** 429 Too Many Requests with {@code Retry-After: 1}. */
        TOO_MANY_REQUESTS
    }

    /** One request as received, with its Range header and when it came ({@link System#nanoTime}). */
    public record Request(String server, String method, String path, String query, String authorization, String range,
                          long receivedNanos) {
    }

    private final HttpServer server;
    private final HttpServer storage;
    private final String storageHost;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, TestImage> manifests = new ConcurrentHashMap<>(); // "repo/reference" -> manifest
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    /** How many more requests a fault applies to; absent: every request. */
    private final Map<String, AtomicInteger> faultsLeft = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger tokensIssued = new AtomicInteger();
    private volatile boolean bearer;
    private volatile String tokenBasic; // the Basic credentials the token service demands, or null for anonymous
    private volatile String realm; // the token service a challenge names; null: this registry's own /token
    private final Map<String, String> redirects = new ConcurrentHashMap<>();

    public FakeRegistry() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            HttpServer s;
            try {
                s = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 0);
            } catch (IOException e) {
                s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            }
            storage = s;
            storageHost = storage.getAddress().getAddress().getHostAddress() + ":" + storage.getAddress().getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        storage.setExecutor(executor);
        server.createContext("/", this::handleRegistry);
        storage.createContext("/", this::handleStorage);
        server.start();
        storage.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** The other host blobs are redirected to ({@link Fault#REDIRECT}). */
    public String storageHost() {
        return storageHost;
    }

    public ImageReference ref(String repoAndTag) {
        return ImageReference.parse(host() + "/" + repoAndTag);
    }

    /** Serves {@code image} (and an index's images) in {@code repo} under {@code tag} and its digest. */
    public FakeRegistry serve(String repo, String tag, TestImage image) {
        for (TestImage child : image.children()) {
            serve(repo, null, child);
        }
        blobs.putAll(image.blobs());
        manifests.put(repo + "/" + image.digest(), image);
        if (tag != null) {
            manifests.put(repo + "/" + tag, image);
        }
        return this;
    }

    /** Requests for the blob or manifest named {@code digestOrTag} misbehave as {@code fault}; null clears. */
    public void fault(String digestOrTag, Fault fault) {
        faultsLeft.remove(digestOrTag);
        if (fault == null) {
            faults.remove(digestOrTag);
        } else {
            faults.put(digestOrTag, fault);
        }
    }

    /** As {@link #fault(String, Fault)}, for the next {@code times} requests only; later ones are answered normally. */
    public void fault(String digestOrTag, Fault fault, int times) {
        fault(digestOrTag, fault);
        faultsLeft.put(digestOrTag, new AtomicInteger(times));
    }

    private Fault takeFault(String reference) {
        Fault f = faults.get(reference);
        AtomicInteger left = faultsLeft.get(reference);
        if (f != null && left != null && left.getAndDecrement() <= 0) {
            return null;
        }
        return f;
    }

    /**
     * From now on /v2/ answers 401 with a Bearer challenge naming the token service at
     * {@code /token}; that service issues tokens to anyone, or with {@code user} set only to
     * requests bearing those Basic credentials.
     */
    public void requireBearer(String user, String password) {
        tokenBasic = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        bearer = true;
    }

    /** The token service the Bearer challenge names from now on (see {@link #storageTokenRealm()}). */
    public void tokenRealm(String url) {
        realm = url;
    }

    /** A token service on the storage server: another host than the registry, over plain HTTP. */
    public String storageTokenRealm() {
        return "http://" + storageHost + "/token";
    }

    /** Requests for {@code digestOrTag} are answered 307 to {@code location}, whatever it is. */
    public void redirect(String digestOrTag, String location) {
        redirects.put(digestOrTag, location);
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Requests whose path contains {@code part} (e.g. a digest, "/token", "/blobs/"). */
    public List<Request> requests(String part) {
        return requests.stream().filter(r -> r.path().contains(part)).toList();
    }

    public int tokensIssued() {
        return tokensIssued.get();
    }

    private void handleRegistry(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            requests.add(new Request("registry", x.getRequestMethod(), path, x.getRequestURI().getQuery(),
                    x.getRequestHeaders().getFirst("Authorization"), x.getRequestHeaders().getFirst("Range"), System.nanoTime()));
            if (path.equals("/token")) {
                issueToken(x);
                return;
            }
            if (!path.startsWith("/v2/")) {
                send(x, 404, "text/plain", new byte[0]);
                return;
            }
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (bearer && (auth == null || !auth.startsWith("Bearer token-"))) {
                String name = path.replaceFirst("^/v2/(.*)/(manifests|blobs)/[^/]+$", "$1");
                String tokenService = realm != null ? realm : "http://" + host() + "/token";
                x.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + tokenService + "\",service=\"fake-registry\","
                        + "scope=\"repository:" + name + ":pull\"");
                error(x, 401, "UNAUTHORIZED", "authentication required");
                return;
            }
            int slash = path.lastIndexOf('/');
            String reference = path.substring(slash + 1);
            String location = redirects.get(reference);
            if (location != null) {
                x.getResponseHeaders().add("Location", location);
                send(x, 307, "text/plain", new byte[0]);
                return;
            }
            Fault fault = takeFault(reference);
            if (fault == Fault.TOO_MANY_REQUESTS) {
                x.getResponseHeaders().add("Retry-After", "1");
                error(x, 429, "TOOMANYREQUESTS", "slow down");
                return;
            }
            if (fault == Fault.SERVER_ERROR) {
                error(x, 500, "UNKNOWN", "the storage backend is down");
                return;
            }
            if (fault == Fault.REDIRECT) {
                x.getResponseHeaders().add("Location", "http://" + storageHost + path + "?signature=abc");
                send(x, 307, "text/plain", new byte[0]);
                return;
            }
            String rest = path.substring("/v2/".length(), slash);
            if (rest.endsWith("/manifests")) {
                TestImage m = manifests.get(rest.substring(0, rest.length() - "/manifests".length()) + "/" + reference);
                if (m == null) {
                    error(x, 404, "MANIFEST_UNKNOWN", "manifest unknown");
                    return;
                }
                x.getResponseHeaders().add("Docker-Content-Digest", m.digest());
                sendWithFault(x, m.mediaType(), m.manifest(), fault);
            } else if (rest.endsWith("/blobs")) {
                byte[] blob = blobs.get(reference);
                if (blob == null) {
                    error(x, 404, "BLOB_UNKNOWN", "blob unknown to registry");
                    return;
                }
                sendWithFault(x, "application/octet-stream", blob, fault);
            } else {
                send(x, 404, "text/plain", new byte[0]);
            }
        }
    }

    private void handleStorage(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            requests.add(new Request("storage", x.getRequestMethod(), path, x.getRequestURI().getQuery(),
                    x.getRequestHeaders().getFirst("Authorization"), x.getRequestHeaders().getFirst("Range"), System.nanoTime()));
            if (path.equals("/token")) {
                issueToken(x);
                return;
            }
            byte[] blob = blobs.get(path.substring(path.lastIndexOf('/') + 1));
            if (blob == null) {
                send(x, 404, "text/plain", new byte[0]);
                return;
            }
            send(x, 200, "application/octet-stream", blob);
        }
    }

    private void issueToken(HttpExchange x) throws IOException {
        String given = x.getRequestHeaders().getFirst("Authorization");
        if (tokenBasic != null && !tokenBasic.equals(given)) {
            send(x, 401, "application/json", "{\"details\":\"incorrect username or password\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String token = "token-" + tokensIssued.incrementAndGet();
        send(x, 200, "application/json", ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8));
    }

    private static void sendWithFault(HttpExchange x, String type, byte[] body, Fault fault) throws IOException {
        if (fault == null) {
            send(x, 200, type, body);
            return;
        }
        switch (fault) {
            case CORRUPT -> {
                byte[] bad = body.clone();
                bad[bad.length / 2] ^= 0x5a;
                send(x, 200, type, bad);
            }
            case TRUNCATE -> {
                x.getResponseHeaders().add("Content-Type", type);
                x.sendResponseHeaders(200, body.length);
                OutputStream out = x.getResponseBody();
                out.write(body, 0, body.length / 2);
                out.flush();
                // Closing short of Content-Length makes HttpServer drop the connection.
            }
            case STALL -> {
                x.getResponseHeaders().add("Content-Type", type);
                x.sendResponseHeaders(200, body.length);
                OutputStream out = x.getResponseBody();
                out.write(body, 0, Math.min(100, body.length / 2));
                out.flush();
                try {
                    Thread.sleep(30_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            default -> throw new IllegalStateException(fault + " is answered before the body");
        }
    }

    private static void error(HttpExchange x, int status, String code, String message) throws IOException {
        send(x, status, "application/json",
                ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}").getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        x.getResponseHeaders().add("Docker-Distribution-Api-Version", "registry/2.0");
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        storage.stop(0);
        executor.shutdownNow();
    }
}
