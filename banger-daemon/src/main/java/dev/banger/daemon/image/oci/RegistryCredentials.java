package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.image.ImageReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registry user names and passwords from a docker {@code config.json} (the file
 * {@code registry_auth_file} names): {@code "auths": {"host[:port]": {"auth": base64(user:pass)}}}
 * or {@code {"username": ..., "password": ...}}. Keys may also be written as URLs
 * ({@code https://index.docker.io/v1/}); every docker hub alias means {@link ImageReference#DOCKER_HUB}.
 * The daemon runs no credential helpers ({@code credsStore}, {@code credHelpers}): they would run as
 * root. The CLI runs them as the invoking user and passes what they return with the pull request
 * ({@link #withLogin}).
 */
public final class RegistryCredentials {

    private static final Logger log = LoggerFactory.getLogger(RegistryCredentials.class);
    private static final RegistryCredentials NONE = new RegistryCredentials(Map.of());

    /** host (normalised) -> {@code Basic <base64(user:pass)>} */
    private final Map<String, String> basicByHost;

    private RegistryCredentials(Map<String, String> basicByHost) {
        this.basicByHost = Map.copyOf(basicByHost);
    }

    public static RegistryCredentials none() {
        return NONE;
    }

    /** Reads {@code configJson}; null means no credentials. A named file that is missing or malformed is an error. */
    public static RegistryCredentials fromDockerConfig(Path configJson) {
        if (configJson == null) {
            return NONE;
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw failed(configJson, "the file does not exist");
        } catch (IOException e) {
            throw failed(configJson, e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw failed(configJson, "it is not a JSON object");
        }
        if (root.has("credsStore") || root.has("credHelpers")) {
            log.warn("{} names docker credential helpers; the daemon does not run them (the banger CLI does, as the invoking user)"
                    + " and uses only its \"auths\"", configJson);
        }
        JsonNode auths = root.path("auths");
        Map<String, String> byHost = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : auths.properties()) {
            String user;
            String password;
            String auth = e.getValue().path("auth").asText("");
            if (!auth.isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException ex) {
                    throw failed(configJson, "the \"auth\" of \"" + e.getKey() + "\" is not base64");
                }
                int colon = decoded.indexOf(':');
                if (colon < 0) {
                    throw failed(configJson, "the \"auth\" of \"" + e.getKey() + "\" is not base64 of user:password");
                }
                user = decoded.substring(0, colon);
                password = decoded.substring(colon + 1);
            } else {
                user = e.getValue().path("username").asText("");
                password = e.getValue().path("password").asText("");
                if (user.isEmpty()) {
                    continue; // an empty entry: docker keeps these credentials in a helper
                }
            }
            byHost.put(normalise(e.getKey()), basic(user, password));
        }
        return new RegistryCredentials(byHost);
    }

    /**
     * These credentials with {@code user}/{@code password} for {@code registryHost} instead of
     * whatever the file had for it: the ones the CLI resolved for one pull.
     */
    public RegistryCredentials withLogin(String registryHost, String user, String password) {
        Map<String, String> byHost = new HashMap<>(basicByHost);
        byHost.put(normalise(registryHost), basic(user, password));
        return new RegistryCredentials(byHost);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code Authorization} header value ({@code Basic ...}) for a registry, if the file has one. */
    public Optional<String> basicAuthFor(String registryHost) {
        return Optional.ofNullable(basicByHost.get(normalise(registryHost)));
    }

    /** {@code https://index.docker.io/v1/} -> {@code registry-1.docker.io}; {@code Host:5000} -> {@code host:5000}. */
    static String normalise(String key) {
        String k = key.strip().toLowerCase(Locale.ROOT);
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            k = k.substring(0, slash);
        }
        return switch (k) {
            case "docker.io", "index.docker.io", "registry.hub.docker.com", "registry-1.docker.io" -> ImageReference.DOCKER_HUB;
            default -> k;
        };
    }

    private static RegistryException failed(Path file, String why) {
        return new RegistryException(
                "cannot read registry credentials from " + file + " (registry_auth_file): " + why);
    }

    @Override
    public String toString() {
        return "RegistryCredentials" + basicByHost.keySet(); // never the secrets
    }
}
