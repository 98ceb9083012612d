package dev.banger.daemon.network.nat;

import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * "The internet" for NAT tests: a network namespace of its own (a busybox httpd started under
 * {@code unshare --net}, so the namespace ends with it), joined to the test JVM's namespace by a
 * veth pair. Host side {@link #HOST_SIDE}/24 with the default route through it; internet side
 * {@code 10.99.0.2/24} plus {@link #SERVER}, serving {@link #marker()} on port {@link #PORT}. The
 * internet has no route back to the guests' subnet, so only masqueraded traffic gets answers.
 */
public final class TestInternet implements AutoCloseable {

    public static final String SERVER = "203.0.113.10";
    public static final int PORT = 8080;
    static final String HOST_SIDE = "10.99.0.1";
    private static final String VETH = "bnat-host";
    private static final String PEER = "bnat-inet";

    private final CommandRunner runner = new CommandRunner();
    private final String marker = "banger-nat-" + UUID.randomUUID();
    private final BackgroundProcess httpd;

    private TestInternet(Path dir) throws IOException {
        Path www = Files.createDirectories(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), marker + "\n");
        httpd = runner.start(Command.of("unshare", "--net", "--", "busybox", "httpd", "-f", "-p", String.valueOf(PORT),
                "-h", www.toString()), dir.resolve("httpd.log"));
        String netns = "--net=/proc/" + httpd.pid() + "/ns/net";
        awaitOwnNamespace();
        runner.run("ip", "link", "add", VETH, "type", "veth", "peer", "name", PEER, "netns", String.valueOf(httpd.pid()));
        runner.run("ip", "addr", "add", HOST_SIDE + "/24", "dev", VETH);
        runner.run("ip", "link", "set", VETH, "up");
        runner.run("ip", "route", "replace", "default", "via", "10.99.0.2");
        runner.run("nsenter", netns, "ip", "link", "set", "lo", "up");
        runner.run("nsenter", netns, "ip", "addr", "add", "10.99.0.2/24", "dev", PEER);
        runner.run("nsenter", netns, "ip", "addr", "add", SERVER + "/32", "dev", PEER);
        runner.run("nsenter", netns, "ip", "link", "set", PEER, "up");
        awaitServing();
    }

    /** The internet, up and serving; the caller closes it. */
    public static TestInternet start(Path dir) {
        try {
            return new TestInternet(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the server answers for {@code /}. */
    public String marker() {
        return marker;
    }

    public String url() {
        return "http://" + SERVER + ":" + PORT + "/";
    }

    private void awaitOwnNamespace() throws IOException {
        // Each link reads net:[inode]; they differ once unshare has made the new namespace.
        Path mine = Files.readSymbolicLink(Path.of("/proc/" + ProcessHandle.current().pid() + "/ns/net"));
        for (int i = 0; i < 100; i++) {
            if (!Files.readSymbolicLink(Path.of("/proc/" + httpd.pid() + "/ns/net")).equals(mine)) {
                return;
            }
            sleep(50);
        }
        throw new IllegalStateException("unshare --net did not give the test internet a namespace of its own");
    }

    private void awaitServing() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 50; i++) {
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (body.contains(marker)) {
                    return;
                }
            } catch (IOException e) {
                // not serving yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(100);
        }
        throw new IllegalStateException("the test internet's httpd does not answer at " + url());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Ends the server, and with it its namespace and the veth pair (and so the default route). */
    @Override
    public void close() {
        httpd.stop();
        runner.runAllowingFailure(Command.of("ip", "link", "del", VETH));
    }
}
