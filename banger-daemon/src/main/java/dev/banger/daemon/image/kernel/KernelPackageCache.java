package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernel catalog artifacts by content, {@code <dir>/<sha256><ext>} ({@code dir} is
 * {@code <cache_dir>/kernels}). Every download streams into {@code <sha256><ext>.part} while it
 * is hashed, and is renamed into place only when its sha256 (and size, when the catalog gives one)
 * is the catalog's; anything else removes the part file and names both digests. A cached file is
 * hashed again before use (a corrupt one is dropped and downloaded anew). One download per digest
 * at a time: a second caller waits (interruptibly) for the first and then finds the file. A cancel
 * (the request thread's interrupt) ends a download at once, leaving nothing.
 */
public final class KernelPackageCache {

    private static final Logger log = LoggerFactory.getLogger(KernelPackageCache.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(2);
    private static final long PROGRESS_EVERY = 4L << 20;
    /** Progress stage of a download; {@code done}/{@code total} are bytes. */
    public static final String FETCH_STAGE = "fetch kernel package";
    public static final String CACHED_STAGE = "check cached kernel package";

    private final Path dir;
    private final ConcurrentMap<String, ReentrantLock> downloads = new ConcurrentHashMap<>();
    private volatile HttpClient http;

    public KernelPackageCache(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** Where {@code e}'s artifact is (or would be) kept. */
    public Path path(KernelCatalog.Entry e) {
        return dir.resolve(e.sha256() + e.kind().extension());
    }

    public boolean isCached(KernelCatalog.Entry e) {
        return Files.isRegularFile(path(e));
    }

    /** The verified artifact of {@code e}: the cached file when it is intact, else a fresh download. */
    public Path get(KernelCatalog.Entry e, OperationContext ctx) {
        ReentrantLock lock = downloads.computeIfAbsent(e.sha256(), k -> new ReentrantLock());
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw cancelled(e, null);
        }
        try {
            Path file = path(e);
            if (Files.isRegularFile(file)) {
                ctx.progress(CACHED_STAGE);
                String got = sha256(file, "kernel package " + e.url());
                if (got.equals(e.sha256())) {
                    return file;
                }
                log.warn("cached kernel package {} has sha256 {}: removing it and downloading {} again", file, got, e.url());
                Files.delete(file);
            }
            download(e, file, ctx);
            return file;
        } catch (IOException x) {
            if (interrupted(ctx)) {
                throw cancelled(e, x);
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot use the kernel package cache " + dir + ": "
                    + x.getMessage(), x);
        } finally {
            lock.unlock();
        }
    }

    private void download(KernelCatalog.Entry e, Path file, OperationContext ctx) throws IOException {
        FileModes.privateDir(dir);
        Path part = file.resolveSibling(file.getFileName() + ".part");
        Files.deleteIfExists(part);
        URI uri = URI.create(e.url());
        long expected = e.size() == null ? 0 : e.size();
        ctx.progress(FETCH_STAGE, 0, expected);
        try {
            HttpResponse<InputStream> response;
            try {
                response = client().send(HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                throw cancelled(e, x);
            } catch (ConnectException x) {
                throw failed(e, "cannot connect to " + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : ""), x);
            } catch (HttpTimeoutException x) {
                throw failed(e, "no answer within " + HEADERS_TIMEOUT.toSeconds() + " s", x);
            }
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status != 200) {
                    throw failed(e, "HTTP " + status + (status == 404 ? " (mirrors drop superseded packages: a newer bangerd, "
                            + "or a kernel_catalog of your own, has a current URL)" : ""), null);
                }
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (expected > 0 && length >= 0 && length != expected) {
                    throw failed(e, "the server sends " + length + " bytes, the catalog expects " + expected, null);
                }
                long total = expected > 0 ? expected : Math.max(length, 0);
                MessageDigest md = newSha256();
                long done = 0;
                long reported = 0;
                byte[] buf = new byte[1 << 16];
                try (FileChannel out = FileChannel.open(part, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        FileModes.privateFile())) {
                    int n;
                    while ((n = body.read(buf)) >= 0) {
                        if (interrupted(ctx)) {
                            throw cancelled(e, null);
                        }
                        md.update(buf, 0, n);
                        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                        while (bb.hasRemaining()) {
                            out.write(bb);
                        }
                        done += n;
                        if (expected > 0 && done > expected) {
                            throw failed(e, "the server sends more than the " + expected + " bytes the catalog expects", null);
                        }
                        if (done - reported >= PROGRESS_EVERY) {
                            reported = done;
                            ctx.progress(FETCH_STAGE, done, total);
                        }
                    }
                    out.force(true);
                }
                ctx.progress(FETCH_STAGE, done, total);
                if (length >= 0 && done != length || expected > 0 && done != expected) {
                    throw failed(e, "got " + done + " of " + (expected > 0 ? expected : length) + " bytes", null);
                }
                String got = HexFormat.of().formatHex(md.digest());
                if (!got.equals(e.sha256())) {
                    throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel package " + e.url() + " failed verification: "
                            + "expected sha256 " + e.sha256() + ", got " + got + " (nothing was kept)");
                }
                Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
                log.info("kernel package {} cached as {} ({} bytes)", e.url(), file, done);
            }
        } catch (IOException x) {
            if (interrupted(ctx)) {
                throw cancelled(e, x);
            }
            throw failed(e, x.toString(), x);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                c = http;
                if (c == null) {
                    // Redirects are followed (mirrors redirect), never from https to http.
                    c = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NORMAL).build();
                    http = c;
                }
            }
        }
        return c;
    }

    /** The hex sha256 of a cached file; checks for a cancel between reads ({@code what} names it then). */
    static String sha256(Path file, String what) throws IOException {
        return digest(file, newSha256(), what);
    }

    /** The hex digest of {@code file} by {@code md}, checking for a cancel between reads. */
    static String digest(Path file, MessageDigest md, String what) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new BangerException(ErrorCode.CANCELLED, "check of " + what + " cancelled");
                }
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static boolean interrupted(OperationContext ctx) {
        return ctx.isCancelled() || Thread.currentThread().isInterrupted();
    }

    private static BangerException failed(KernelCatalog.Entry e, String why, Throwable cause) {
        return new BangerException(ErrorCode.OPERATION_FAILED, "downloading kernel package " + e.url() + " failed: " + why, cause);
    }

    private static BangerException cancelled(KernelCatalog.Entry e, Throwable cause) {
        return new BangerException(ErrorCode.CANCELLED, "download of kernel package " + e.url() + " cancelled", cause);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException x) {
            throw new IllegalStateException("the JDK always has SHA-256", x);
        }
    }
}
