package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GETs a path of a registry's {@code /v2/} API: answers one authentication challenge (through
 * {@link RegistryAuthenticator}, keeping the Authorization that worked per registry and repository
 * for this client's lifetime), and follows redirects by hand so that Authorization never crosses
 * to another origin, HTTPS is never downgraded to HTTP, and only http(s) URLs are followed.
 */
final class RegistryTransport {

    private static final int MAX_REDIRECTS = 10;
    private static final int MAX_ERROR_BODY_BYTES = 64 << 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryHttp http;
    private final RegistryAuthenticator auth;
    /** "registry repository" -> Authorization header value that worked (Bearer token or Basic). */
    private final Map<String, String> authorization = new ConcurrentHashMap<>();

    RegistryTransport(RegistryHttp http, RegistryAuthenticator auth) {
        this.http = http;
        this.auth = auth;
    }

    /** The final response, whatever its status, for the caller to check ({@link #checkStatus}) and close. */
    HttpResponse<InputStream> get(RegistryTarget t, String path, String accept, Map<String, String> headers) {
        URI base = t.base();
        URI uri = base.resolve(path);
        String authKey = t.host() + " " + t.repository();
        boolean challenged = false;
        int redirects = 0;
        while (true) {
            boolean atRegistry = sameOrigin(uri, base);
            HttpRequest.Builder b = http.request(uri).header("Accept", accept);
            headers.forEach(b::header);
            String value = atRegistry ? authorization.get(authKey) : null;
            if (value != null) {
                b.header("Authorization", value);
            }
            HttpResponse<InputStream> r = http.send(b.build(), t.host());
            int status = r.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                String location = r.headers().firstValue("Location").orElse(null);
                RegistryHttp.discard(r);
                if (location == null) {
                    throw new RegistryException("registry " + t.host() + " answered " + status + " without a Location for " + path);
                }
                if (++redirects > MAX_REDIRECTS) {
                    throw new RegistryException("registry " + t.host() + " redirected " + path + " more than " + MAX_REDIRECTS + " times");
                }
                URI next;
                try {
                    next = uri.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw new RegistryException("registry " + t.host() + " redirected " + path + " to an invalid URL: " + location);
                }
                boolean allowed = "https".equals(next.getScheme()) || "http".equals(next.getScheme()) && "http".equals(uri.getScheme());
                if (!allowed || next.getHost() == null) {
                    throw new RegistryException("registry " + t.host() + " redirected " + path + " to " + next.getScheme() + "://"
                            + next.getHost() + ", which banger does not follow (it never downgrades HTTPS to HTTP)");
                }
                uri = next;
                continue;
            }
            if (status == 401 && atRegistry && !challenged) {
                challenged = true;
                List<String> header = r.headers().allValues("WWW-Authenticate");
                RegistryHttp.discard(r);
                authorization.put(authKey, auth.authenticate(t, Challenge.parse(header)));
                continue;
            }
            return r;
        }
    }

    /** Maps a non-2xx status (other than 404, which the caller names) to an exception. */
    void checkStatus(RegistryTarget t, HttpResponse<InputStream> r, String what) {
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
            return;
        }
        byte[] body = errorBody(r);
        if (status == 401 || status == 403) {
            throw auth.unauthorized(t);
        }
        if (status == 429) {
            throw new RegistryException("registry " + t.host() + " is limiting requests (429 Too Many Requests) for " + what
                    + " in " + t.repository() + "; try again later" + errorMessage(body));
        }
        throw new RegistryException("registry " + t.host() + " answered " + status + " for " + what + " in " + t.repository()
                + errorMessage(body) + (status >= 500 && http.retry().attempts() > 1 ? " (" + http.retry().attempts() + " attempts)" : ""));
    }

    /** The {@code errors[0].code} of a registry error body, or null. */
    static String errorCode(HttpResponse<InputStream> r) {
        try {
            JsonNode json = JSON.readTree(errorBody(r));
            return json == null ? null : json.path("errors").path(0).path("code").asText(null);
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
    static String errorMessage(byte[] body) {
        if (body.length == 0) {
            return "";
        }
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null) {
                List<String> parts = new ArrayList<>();
                json.path("errors").forEach(e -> parts.add(e.path("message").asText("").isEmpty() ? e.path("code").asText("")
                        : e.path("message").asText("")));
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

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
