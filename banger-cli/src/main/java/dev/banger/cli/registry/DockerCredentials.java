package dev.banger.cli.registry;

import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.image.ImageReference;
import dev.banger.core.rpc.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The invoking user's registry credentials, found as docker finds them in
 * {@code $DOCKER_CONFIG/config.json} (default {@code ~/.docker/config.json}): the registry's
 * {@code credHelpers} entry, else its {@code auths} entry, else the {@code credsStore}. A helper
 * is the program {@code docker-credential-<name>} on PATH, run with {@code get} and the registry
 * on stdin, as this (the CLI's) user: the daemon, running as root, never runs one. What this finds
 * goes to the daemon with the one pull that needs it and is never printed.
 */
public final class DockerCredentials {

    /** What {@code docker login} wrote, or a helper answered. */
    public record Login(String username, String password) {
        @Override
        public String toString() {
            return "Login[" + username + ", ***]";
        }
    }

    private static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";
    private static final List<String> DOCKER_HUB_NAMES = List.of("docker.io", "index.docker.io", "registry-1.docker.io",
            "registry.hub.docker.com");
    private static final Duration HELPER_TIMEOUT = Duration.ofSeconds(30);

    private final Path configJson;

    DockerCredentials(Path configJson) {
        this.configJson = configJson;
    }

    /** The config docker would read with this environment: {@code $DOCKER_CONFIG/config.json}, else {@code $HOME/.docker/config.json}. */
    public static DockerCredentials fromEnvironment(Map<String, String> env) {
        String dir = env.get("DOCKER_CONFIG");
        if (dir == null || dir.isBlank()) {
            String home = env.get("HOME");
            dir = home == null || home.isBlank() ? System.getProperty("user.home") + "/.docker" : home + "/.docker";
        }
        return new DockerCredentials(Path.of(dir, "config.json"));
    }

    /**
     * The login for the registry of image reference {@code ref} (the registry is its first
     * component when that has a dot or a port or is localhost, else Docker Hub, as docker reads
     * references); empty when there is none. A config or helper that fails is an
     * {@link IOException} naming it.
     */
    public Optional<Login> forReference(String ref) throws IOException {
        return forRegistry(registryOf(ref));
    }

    Optional<Login> forRegistry(String host) throws IOException {
        Map<String, Object> config;
        try {
            Object parsed = Json.parse(Files.readString(configJson));
            if (!(parsed instanceof Map<?, ?>)) {
                throw new IOException(configJson + " is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) parsed;
            config = m;
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        boolean hub = DOCKER_HUB_NAMES.contains(host);
        String helperKey = hub ? DOCKER_HUB_KEY : host;
        if (config.get("credHelpers") instanceof Map<?, ?> helpers) {
            for (String key : keys(host)) {
                if (helpers.get(key) instanceof String name && !name.isBlank()) {
                    return runHelper(name, helperKey);
                }
            }
        }
        if (config.get("auths") instanceof Map<?, ?> auths) {
            for (Map.Entry<?, ?> e : auths.entrySet()) {
                if (keys(host).contains(normalise(String.valueOf(e.getKey()))) && e.getValue() instanceof Map<?, ?> entry) {
                    Optional<Login> inline = inline(String.valueOf(e.getKey()), entry);
                    if (inline.isPresent()) {
                        return inline;
                    }
                }
            }
        }
        if (config.get("credsStore") instanceof String store && !store.isBlank()) {
            return runHelper(store, helperKey);
        }
        return Optional.empty();
    }

    private Optional<Login> inline(String key, Map<?, ?> entry) throws IOException {
        if (entry.get("auth") instanceof String auth && !auth.isBlank()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IOException("the \"auth\" of \"" + key + "\" in " + configJson + " is not base64");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw new IOException("the \"auth\" of \"" + key + "\" in " + configJson + " is not base64 of user:password");
            }
            return Optional.of(new Login(decoded.substring(0, colon), decoded.substring(colon + 1)));
        }
        if (entry.get("username") instanceof String user && !user.isEmpty() && entry.get("password") instanceof String password) {
            return Optional.of(new Login(user, password));
        }
        return Optional.empty(); // an empty entry: docker keeps these credentials in a helper
    }

    /** {@code docker-credential-NAME get}, the server on stdin; "not found" (any failure docker treats so) is no login. */
    private Optional<Login> runHelper(String name, String server) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IOException(configJson + " names credential helper '" + name + "', which is not a program name");
        }
        String program = "docker-credential-" + name;
        ProcessLauncher.Captured r;
        try {
            r = ProcessLauncher.runCapturing(List.of(program, "get"), (server + "\n").getBytes(StandardCharsets.UTF_8), HELPER_TIMEOUT);
        } catch (IOException e) {
            throw new IOException("cannot run credential helper " + program + " (named in " + configJson + "): " + e.getMessage(), e);
        }
        if (r.exitCode() != 0) {
            if (r.stdout().toLowerCase(Locale.ROOT).contains("credentials not found")) {
                return Optional.empty();
            }
            throw new IOException("credential helper " + program + " failed for " + server + " (exit " + r.exitCode() + ")");
        }
        Object parsed = Json.parse(r.stdout());
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("Username") instanceof String user) || !(m.get("Secret") instanceof String secret)) {
            throw new IOException("credential helper " + program + " answered something other than {\"Username\", \"Secret\"} for " + server);
        }
        if (user.equals("<token>")) {
            throw new IOException("credential helper " + program + " holds an identity token for " + server
                    + ", which banger cannot use (it needs a user name and password or access token)");
        }
        return Optional.of(new Login(user, secret));
    }

    /** The config keys that mean {@code host}. */
    private static List<String> keys(String host) {
        return DOCKER_HUB_NAMES.contains(host) ? DOCKER_HUB_NAMES : List.of(host);
    }

    /** {@code https://host/v1/} -> {@code host}, lower-cased. */
    private static String normalise(String key) {
        String k = key.strip().toLowerCase(Locale.ROOT);
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        return slash >= 0 ? k.substring(0, slash) : k;
    }

    /** The registry an image reference names, by the daemon's own rule; lower-cased, as the config's keys are. */
    static String registryOf(String ref) {
        return ImageReference.registryOf(ref).toLowerCase(Locale.ROOT);
    }
}
