package dev.banger.daemon.image.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.banger.core.image.ImageReference;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.Descriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A real registry for tests: Debian's {@code docker-registry} (distribution 2.8) serving a temp
 * directory on {@code 127.0.0.1:<free port>}, optionally behind htpasswd Basic auth, started
 * through {@link CommandRunner#start} and stopped by {@link #close}. Images go in through the
 * distribution HTTP API ({@link #push}), the way docker or buildah would push them.
 *
 * <p>Needs {@code apt-get install -y docker-registry apache2-utils}. Missing, the test fails
 * saying so; only a non-root user (who could not install it) gets a skip instead.
 */
public final class TestRegistry implements AutoCloseable {

    public static final String INSTALL = "apt-get install -y docker-registry apache2-utils";

    private final BackgroundProcess process;
    private final int port;
    private final Path logFile;
    private final String authorization; // null without htpasswd
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private TestRegistry(BackgroundProcess process, int port, Path logFile, String authorization) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.authorization = authorization;
    }

    /** An open registry storing under {@code dir}. */
    public static TestRegistry start(Path dir) {
        return start(dir, null, null);
    }

    /** A registry that answers only requests with Basic credentials {@code user:password} (htpasswd, bcrypt). */
    public static TestRegistry startWithHtpasswd(Path dir, String user, String password) {
        return start(dir, user, password);
    }

    private static TestRegistry start(Path dir, String user, String password) {
        Path binary = requireTool("docker-registry");
        CommandRunner runner = new CommandRunner();
        try {
            Files.createDirectories(dir);
            String auth = "";
            String authorization = null;
            if (user != null) {
                Path htpasswd = requireTool("htpasswd");
                String line = runner.run(htpasswd.toString(), "-Bbn", user, password).stdout().strip();
                Files.writeString(dir.resolve("htpasswd"), line + "\n");
                auth = "auth:\n  htpasswd:\n    realm: test-registry\n    path: " + dir.resolve("htpasswd") + "\n";
                authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            }
            String lastLog = "";
            for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken before the registry binds it
                int port = freePort();
                Path config = dir.resolve("config.yml");
                Files.writeString(config, """
                        version: 0.1
                        log:
                          level: info
                        storage:
                          filesystem:
                            rootdirectory: %s
                          maintenance:
                            uploadpurging:
                              enabled: false
                        http:
                          addr: 127.0.0.1:%d
                          secret: %s
                        %s""".formatted(dir.resolve("data"), port, UUID.randomUUID(), auth));
                Path log = dir.resolve("registry-" + attempt + ".log");
                BackgroundProcess p = runner.start(Command.of(binary.toString(), "serve", config.toString()), log);
                TestRegistry r = new TestRegistry(p, port, log, authorization);
                if (r.awaitReady()) {
                    return r;
                }
                r.close();
                lastLog = Files.readString(log);
            }
            throw new AssertionError("docker-registry did not start; its log:\n" + lastLog);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The tool's path. Missing: a failure naming the packages to install, or, for a non-root user
     * who could not install them anyway, a skip.
     */
    public static Path requireTool(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String message = name + " is not installed; install it with: " + INSTALL;
        if (!isRoot()) {
            Assumptions.abort(message + " (skipping: this user cannot install packages)");
        }
        return fail(message);
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private boolean awaitReady() {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                int status = http.send(HttpRequest.newBuilder(uri("/v2/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** {@code 127.0.0.1:<port>}, the registry part of a reference. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /** {@code host()/repoAndTag}, parsed. */
    public ImageReference ref(String repoAndTag) {
        return ImageReference.parse(host() + "/" + repoAndTag);
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    /** Pushes an image (and, for an index, its images first) and tags it; returns its digest. A null tag pushes by digest only. */
    public String push(String repo, String tag, TestImage image) {
        for (TestImage child : image.children()) {
            push(repo, null, child);
        }
        image.blobs().forEach((digest, bytes) -> pushBlob(repo, bytes));
        return pushManifest(repo, tag != null ? tag : image.digest(), image.mediaType(), image.manifest());
    }

    /**
     * Pushes a single-platform linux/amd64 image of {@code layerBlobs} with an OCI or docker v2
     * manifest ({@code manifestMediaType}); returns the manifest digest.
     */
    public String push(String repo, String tag, List<byte[]> layerBlobs, String layerMediaType, String manifestMediaType) {
        return push(repo, tag, TestImage.image(layerBlobs, layerMediaType, manifestMediaType, TestImage.Config.linuxAmd64()));
    }

    /** POST /v2/REPO/blobs/uploads/, then PUT its Location with {@code digest=}: the monolithic upload. */
    public Descriptor pushBlob(String repo, byte[] data) {
        String digest = TestImage.sha256(data);
        HttpResponse<String> started = send(request(uri("/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()), 202);
        String location = started.headers().firstValue("Location").orElseThrow();
        URI upload = uri("/").resolve(location);
        URI put = URI.create(upload + (upload.getQuery() == null ? "?" : "&") + "digest=" + digest);
        send(request(put).header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(data)), 201);
        return new Descriptor("application/octet-stream", digest, data.length);
    }

    /** PUT /v2/REPO/manifests/REFERENCE with the manifest's media type; returns the digest the registry computed. */
    public String pushManifest(String repo, String reference, String mediaType, byte[] body) {
        HttpResponse<String> r = send(request(uri("/v2/" + repo + "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)), 201);
        return r.headers().firstValue("Docker-Content-Digest").orElseThrow();
    }

    private URI uri(String path) {
        return URI.create("http://" + host() + path);
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder b, int expected) {
        HttpRequest req = b.build();
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new AssertionError(req.method() + " " + req.uri() + " answered " + r.statusCode() + ": " + r.body());
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        process.stop(Duration.ofSeconds(5));
        http.shutdownNow();
    }
}
