package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Answers a registry's 401 {@code WWW-Authenticate} challenge with the {@code Authorization}
 * value to retry with: a bearer token from its token service (sent the registry's Basic
 * credentials, if any), or those Basic credentials directly.
 */
final class RegistryAuthenticator {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUTH_HINT = "your ~/.docker/config.json (docker login, credential helpers) or the docker"
            + " config.json named by registry_auth_file";

    private final RegistryHttp http;
    private final BodyReader bodies;
    private final RegistryCredentials creds;
    private final InsecureRegistries insecure;

    RegistryAuthenticator(RegistryHttp http, BodyReader bodies, RegistryCredentials creds, InsecureRegistries insecure) {
        this.http = http;
        this.bodies = bodies;
        this.creds = creds;
        this.insecure = insecure;
    }

    String authenticate(RegistryTarget t, List<Challenge> challenges) {
        Challenge bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst().orElse(null);
        var basic = creds.basicAuthFor(t.host());
        if (bearer != null) {
            return "Bearer " + fetchToken(t, bearer, basic.orElse(null));
        }
        if (challenges.stream().anyMatch(c -> c.scheme().equals("basic")) || challenges.isEmpty()) {
            return basic.orElseThrow(() -> unauthorized(t));
        }
        throw new RegistryException("registry " + t.host() + " asks for " + challenges.getFirst().scheme()
                + " authentication, which banger does not support (it speaks Bearer and Basic)");
    }

    RegistryUnauthorizedException unauthorized(RegistryTarget t) {
        boolean haveCreds = creds.basicAuthFor(t.host()).isPresent();
        return new RegistryUnauthorizedException("registry " + t.host() + " refused access to " + t.repository()
                + (haveCreds ? " with the credentials banger has for " + t.host() + " (from " + AUTH_HINT
                + "; check them, and the repository name)"
                : " (add credentials to " + AUTH_HINT + ", or check the repository name)"));
    }

    private String fetchToken(RegistryTarget t, Challenge bearer, String basic) {
        String realm = bearer.param("realm");
        if (realm == null || realm.isBlank()) {
            throw new RegistryException("registry " + t.host() + " asks for a bearer token but names no token service (realm)");
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException("registry " + t.host() + " names an invalid token service '" + realm + "'");
        }
        String realmHost = realmUri.getPort() >= 0 ? realmUri.getHost() + ":" + realmUri.getPort() : realmUri.getHost();
        boolean https = "https".equals(realmUri.getScheme());
        // A token service on another host is normal (Docker Hub's is auth.docker.io), but it gets the
        // registry's credentials: plain HTTP only to the registry's own host, and only where the
        // registry itself is reached over plain HTTP (loopback, insecure_registries).
        boolean sameHost = realmUri.getHost() != null && realmUri.getHost().equalsIgnoreCase(t.base().getHost());
        if (realmUri.getHost() == null
                || !https && !("http".equals(realmUri.getScheme()) && sameHost && insecure.plainHttpAllowed(realmHost))) {
            throw new RegistryException("registry " + t.host() + " names token service " + realm
                    + ", which banger does not use (a token service gets the registry's credentials: HTTPS is required,"
                    + " plain HTTP only on the registry's own host when that is loopback or in insecure_registries)");
        }
        String scope = bearer.param("scope") != null ? bearer.param("scope") : "repository:" + t.repository() + ":pull";
        StringBuilder query = new StringBuilder();
        if (bearer.param("service") != null) {
            query.append("service=").append(URLEncoder.encode(bearer.param("service"), StandardCharsets.UTF_8)).append('&');
        }
        query.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        HttpRequest.Builder b = http.request(URI.create(realm + (realm.contains("?") ? "&" : "?") + query));
        if (basic != null) {
            b.header("Authorization", basic);
        }
        HttpResponse<InputStream> r = http.send(b.build(), t.host());
        try {
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw unauthorized(t);
            }
            byte[] body = bodies.readSmall(r, 1 << 20, "the token", realm);
            if (r.statusCode() != 200) {
                throw new RegistryException("token service " + realm + " of registry " + t.host() + " answered " + r.statusCode()
                        + " for " + t.repository() + RegistryTransport.errorMessage(body));
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw new RegistryException("token service " + realm + " of registry " + t.host() + " sent invalid JSON");
            }
            String token = json == null ? "" : json.path("token").asText("");
            if (token.isEmpty() && json != null) {
                token = json.path("access_token").asText("");
            }
            if (token.isEmpty()) {
                throw new RegistryException("token service " + realm + " of registry " + t.host() + " sent no token");
            }
            return token;
        } finally {
            RegistryHttp.discard(r);
        }
    }
}
