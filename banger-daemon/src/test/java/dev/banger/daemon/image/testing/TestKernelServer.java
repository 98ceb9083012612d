package dev.banger.daemon.image.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A kernel mirror on 127.0.0.1 (com.sun.net.httpserver; tests send traffic to loopback only): serves
 * files under URL paths, counts and records every request, and can serve a path slowly (its first
 * MiB, then nothing until {@link #close}), for cancellation tests. Also writes kernel catalogs
 * (the {@code kernel_catalog} format) pointing at itself.
 */
public final class TestKernelServer implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, Path> files = new ConcurrentHashMap<>();
    private final Map<String, Path> slow = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);

    private TestKernelServer(HttpServer server) {
        this.server = server;
    }

    public static TestKernelServer start() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        TestKernelServer t = new TestKernelServer(s);
        s.createContext("/", t::handle);
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        s.start();
        return t;
    }

    /** Serves {@code file} at {@code path} (starting with '/'); returns its URL. */
    public String serve(String path, Path file) {
        files.put(path, file);
        return url(path);
    }

    /** Serves the first MiB of {@code file} at {@code path}, then stalls until the server closes; returns its URL. */
    public String serveSlowly(String path, Path file) {
        slow.put(path, file);
        return url(path);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Every request's path, in arrival order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        requests.add(path);
        try (x) {
            Path file = files.get(path);
            Path stall = slow.get(path);
            if (file == null && stall == null) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            Path f = file != null ? file : stall;
            x.getResponseHeaders().set("Content-Type", "application/vnd.debian.binary-package");
            x.sendResponseHeaders(200, Files.size(f));
            try (InputStream in = Files.newInputStream(f); OutputStream out = x.getResponseBody()) {
                if (file != null) {
                    in.transferTo(out);
                    return;
                }
                out.write(in.readNBytes(1 << 20));
                out.flush();
                closing.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client hung up (a cancelled download): nothing to do
            }
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }

    /** One {@code kernel_catalog} entry (the keys of the format, null ones left out). */
    public static String entry(String name, String kind, String version, String url, String sha256, Long size) {
        StringBuilder b = new StringBuilder("{\"name\": \"" + name + "\", \"kind\": \"" + kind + "\"");
        if (version != null) {
            b.append(", \"version\": \"").append(version).append('"');
        }
        b.append(", \"distro\": \"debian\", \"arch\": \"x86_64\", \"url\": \"").append(url).append("\", \"sha256\": \"")
                .append(sha256).append('"');
        if (size != null) {
            b.append(", \"size\": ").append(size);
        }
        return b.append('}').toString();
    }

    /** Writes a catalog file of {@code entries} (from {@link #entry}) to {@code file}. */
    public static Path catalog(Path file, String... entries) {
        try {
            return Files.writeString(file, "{\"format\": 1, \"kernels\": [" + String.join(",\n", entries) + "]}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
