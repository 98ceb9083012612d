package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.image.fetch.DownloadException;
import dev.banger.daemon.image.fetch.HttpDownload;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
    private static final long PROGRESS_EVERY = 4L << 20;
    /** Progress stage of a download; {@code done}/{@code total} are bytes. */
    public static final String FETCH_STAGE = "fetch kernel package";
    public static final String CACHED_STAGE = "check cached kernel package";

    private static final Pattern PART = Pattern.compile("[a-f0-9]{64}[a-z0-9.]*\\.part");

    private final Path dir;
    private final ConcurrentMap<String, ReentrantLock> downloads = new ConcurrentHashMap<>();
    private final HttpDownload http = new HttpDownload();

    public KernelPackageCache(Path dir) {
        this.dir = dir;
    }

    /**
     * The leftovers of downloads a killed daemon never finished ({@code <sha256><ext>.part}) in the
     * cache {@code dir}; for the startup sweep, when no download runs.
     */
    public static List<Path> partials(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> PART.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted().toList();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot list the kernel package cache " + dir + ": " + e.getMessage(), e);
        }
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
        try {
            HttpDownload.Result got = http.fetch(URI.create(e.url()), part, e.size() == null ? 0 : e.size(), "the catalog",
                    FETCH_STAGE, PROGRESS_EVERY, ctx);
            if (!got.sha256().equals(e.sha256())) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel package " + e.url() + " failed verification: "
                        + "expected sha256 " + e.sha256() + ", got " + got.sha256() + " (nothing was kept)");
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
            log.info("kernel package {} cached as {} ({} bytes)", e.url(), file, got.bytes());
        } catch (DownloadException x) {
            throw failed(e, x.getMessage() + (x.status() == 404 ? " (mirrors drop superseded packages: a newer bangerd, "
                    + "or a kernel_catalog of your own, has a current URL)" : ""), x);
        } catch (IOException x) {
            if (interrupted(ctx)) {
                throw cancelled(e, x);
            }
            throw failed(e, x.toString(), x);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /** The hex sha256 of a cached file; checks for a cancel between reads ({@code what} names it then). */
    static String sha256(Path file, String what) throws IOException {
        return digest(file, Sha256.newDigest(), what);
    }

    /** The hex digest of {@code file} by {@code md}, checking for a cancel between reads. */
    static String digest(Path file, MessageDigest md, String what) throws IOException {
        try {
            return Sha256.ofFile(file, md);
        } catch (InterruptedIOException e) {
            throw new BangerException(ErrorCode.CANCELLED, "check of " + what + " cancelled");
        }
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

}
