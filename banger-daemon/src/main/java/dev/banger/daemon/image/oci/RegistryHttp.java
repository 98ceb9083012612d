package dev.banger.daemon.image.oci;

import dev.banger.core.BuildInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one GET and gets its response headers, trying again (per {@link RetryPolicy}) on what a
 * bad network or a busy registry does: a reset connection or a timeout, 429 (waiting as long as
 * its Retry-After asks, capped) and 5xx. Not on a refused connection, an unknown host or a TLS
 * failure (a retry would only delay the same answer, and a mirror's fallback), nor on any other
 * 4xx. After the last attempt the response is returned whatever its status, for the caller to
 * report. Redirects are not followed here (see {@link RegistryTransport}).
 */
final class RegistryHttp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryHttp.class);

    private final HttpClient client;
    private final Duration timeout;
    private final RetryPolicy retry;
    private final String userAgent = "banger/" + BuildInfo.current().version();

    RegistryHttp(Duration timeout, RetryPolicy retry) {
        this.timeout = Objects.requireNonNull(timeout);
        this.retry = Objects.requireNonNull(retry);
        // HTTP/1.1: parallel layer downloads get a connection each, and no h2c upgrade on plain HTTP.
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Duration timeout() {
        return timeout;
    }

    RetryPolicy retry() {
        return retry;
    }

    HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).GET().timeout(timeout).header("User-Agent", userAgent);
    }

    /** {@code registry} names the registry the request is for, in messages. */
    HttpResponse<InputStream> send(HttpRequest req, String registry) {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<InputStream> r;
            try {
                r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryCancelledException("request to registry " + registry + " was cancelled");
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new RegistryCancelledException("request to registry " + registry + " was cancelled");
                }
                if (attempt < retry.attempts() && isTransient(e)) {
                    Duration wait = retry.backoff(attempt);
                    log.info("{} {}: {}; trying again in {} ms ({}/{})", req.method(), withoutQuery(req.uri()), describe(e), wait.toMillis(),
                            attempt + 1, retry.attempts());
                    RetryPolicy.sleep(wait, "request to registry " + registry);
                    continue;
                }
                throw unreachable(req.uri(), registry, e, attempt);
            }
            int status = r.statusCode();
            if (attempt < retry.attempts() && (status == 429 || status >= 500)) {
                Duration wait = status == 429 ? retry.retryAfter(r.headers().firstValue("Retry-After")).orElse(retry.backoff(attempt))
                        : retry.backoff(attempt);
                discard(r);
                log.info("{} {}: {}; trying again in {} ms ({}/{})", req.method(), withoutQuery(req.uri()), status, wait.toMillis(),
                        attempt + 1, retry.attempts());
                RetryPolicy.sleep(wait, "request to registry " + registry);
                continue;
            }
            return r;
        }
    }

    /** For logs: a redirect's query may hold a signature that grants access. */
    private static String withoutQuery(URI u) {
        return u.getScheme() + "://" + u.getRawAuthority() + u.getRawPath();
    }

    /** Resets, early closes and timeouts pass; a refusal, an unknown host or TLS trouble will not. */
    static boolean isTransient(IOException e) {
        if (hasCause(e, ConnectException.class) && !hasCause(e, HttpConnectTimeoutException.class)
                || hasCause(e, UnresolvedAddressException.class) || hasCause(e, UnknownHostException.class)
                || hasCause(e, SSLException.class)) {
            return false;
        }
        return true;
    }

    private static RegistryUnreachableException unreachable(URI uri, String registry, IOException e, int attempts) {
        String host = uri.getPort() >= 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost();
        String where = host.equalsIgnoreCase(registry) ? "registry " + host : host + " (for registry " + registry + ")";
        String hint = "";
        if (hasCause(e, SSLException.class) && "https".equals(uri.getScheme())) {
            hint = " (if " + host + " serves plain HTTP, list it in insecure_registries)";
        }
        String tries = attempts > 1 ? " (" + attempts + " attempts)" : "";
        return new RegistryUnreachableException("cannot reach " + where + ": " + describe(e) + tries + hint, e);
    }

    static void discard(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // nothing to keep
        }
    }

    static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
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
        client.shutdownNow();
    }
}
