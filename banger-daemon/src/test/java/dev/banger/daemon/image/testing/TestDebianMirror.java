package dev.banger.daemon.image.testing;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.banger.core.config.Config;
import dev.banger.core.config.DebianSources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The signed Debian mirror scripts/host-setup.sh builds (what the debian-bookworm recipe
 * debootstraps, Debian's cloud kernel and its metapackage), served over HTTP on 127.0.0.1, so the
 * built-in defaults are made the way a user's are, with no traffic leaving loopback.
 * {@link #configure} points a daemon's {@code debian_mirror}, {@code debian_keyring} and
 * {@code kernel_apt_sources} at it.
 */
public final class TestDebianMirror implements AutoCloseable {

    /** Where host-setup.sh builds the mirror. */
    public static final Path DIR = Path.of("/var/cache/banger-test/debian-mirror");
    public static final Path KEYRING = DIR.resolve("keyring.gpg");

    private final HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private TestDebianMirror(HttpServer server) {
        this.server = server;
    }

    public static TestDebianMirror start() {
        return start(InetAddress.getLoopbackAddress());
    }

    /** Served on {@code address} (one of the test namespace's own), for guests to reach. */
    public static TestDebianMirror start(InetAddress address) {
        if (!Files.isRegularFile(DIR.resolve("dists/bookworm/InRelease")) || !Files.isRegularFile(KEYRING)) {
            TestKernelDeb.missing("the tests' Debian mirror " + DIR + " is missing: " + TestKernelDeb.SETUP + " (it builds it once)");
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(address, 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        TestDebianMirror mirror = new TestDebianMirror(server);
        server.createContext("/", SimpleFileServer.createFileHandler(DIR)).getFilters().add(new com.sun.net.httpserver.Filter() {
            @Override
            public void doFilter(com.sun.net.httpserver.HttpExchange exchange, Chain chain) throws IOException {
                mirror.requests.add(exchange.getRequestURI().getPath());
                chain.doFilter(exchange);
            }

            @Override
            public String description() {
                return "records request paths";
            }
        });
        server.start();
        return mirror;
    }

    public String url() {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** Paths requested so far. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** {@code base} with this mirror as debian_mirror and the only apt source of kernel pulls ({@code dir} holds that file). */
    public Config configure(Config base, Path dir) {
        try {
            Path sources = Files.createDirectories(dir).resolve("kernel-apt.list");
            Files.writeString(sources, "deb [signed-by=" + KEYRING + "] " + url() + " bookworm main\n");
            return base.withDebian(new DebianSources(url(), KEYRING, sources));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
