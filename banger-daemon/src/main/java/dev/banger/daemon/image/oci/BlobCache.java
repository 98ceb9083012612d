package dev.banger.daemon.image.oci;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileModes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs by content under {@code dir/blobs/sha256/<hex>} ({@code dir} is {@code <cache_dir>/oci}).
 * A blob is only ever visible complete and verified: downloads land in {@code <hex>.part}, are
 * checked for size and sha256, then renamed. Concurrent {@link #get}s of one digest download it
 * once; the others wait for that download and share its outcome. One instance per directory.
 */
public final class BlobCache {

    private static final Logger log = LoggerFactory.getLogger(BlobCache.class);
    private static final Pattern ENTRY = Pattern.compile("([a-f0-9]{64})(\\.part(?:\\.tmp)?)?");

    private final Path blobs;
    private final ConcurrentMap<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();

    public BlobCache(Path dir) {
        this.blobs = dir.resolve("blobs").resolve("sha256");
    }

    /** Where the blob is (or would be) kept. */
    public Path path(String digest) {
        requireSha256(digest);
        return blobs.resolve(Digests.hex(digest));
    }

    /**
     * The cached file of {@code d}, downloading it through {@code source} only when absent. A
     * failed download leaves nothing behind and its error reaches every caller waiting for it; a
     * caller whose wait is interrupted gets {@link ErrorCode#CANCELLED} without disturbing the
     * download, and when the downloading caller is the one cancelled, a waiter takes over.
     */
    public Path get(Descriptor d, BlobSource source) {
        Path p = path(d.digest());
        while (true) {
            if (isComplete(p, d)) {
                return p;
            }
            CompletableFuture<Path> mine = new CompletableFuture<>();
            CompletableFuture<Path> running = inFlight.putIfAbsent(d.digest(), mine);
            if (running == null) {
                try {
                    Path done = download(d, source, p);
                    mine.complete(done);
                    return done;
                } catch (RuntimeException | Error e) {
                    mine.completeExceptionally(e);
                    throw e;
                } finally {
                    inFlight.remove(d.digest(), mine);
                }
            }
            try {
                return running.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BangerException(ErrorCode.CANCELLED, "waiting for blob " + d.digest() + " was cancelled");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof BangerException be && be.code() == ErrorCode.CANCELLED || cause instanceof RegistryCancelledException) {
                    inFlight.remove(d.digest(), running);
                    continue; // the downloader was cancelled, not us: download it ourselves
                }
                if (cause instanceof BangerException be) {
                    throw new BangerException(be.code(), be.getMessage(), be); // a fresh stack for this caller
                }
                if (cause instanceof RegistryException re) {
                    throw re; // typed: the image service maps it
                }
                throw new BangerException(ErrorCode.OPERATION_FAILED, "downloading blob " + d.digest() + " failed: " + cause, cause);
            }
        }
    }

    private static boolean isComplete(Path p, Descriptor d) {
        try {
            return Files.size(p) == d.size();
        } catch (IOException e) {
            return false;
        }
    }

    private Path download(Descriptor d, BlobSource source, Path p) {
        Path part = p.resolveSibling(p.getFileName() + ".part");
        try {
            if (isComplete(p, d)) {
                return p; // another caller finished it between our check and our claim
            }
            FileModes.privateDir(blobs);
            if (Files.exists(p)) {
                log.warn("cached blob {} has {} bytes, not {}: downloading it again", p, Files.size(p), d.size());
                Files.delete(p);
            }
            Files.deleteIfExists(part);
            source.fetch(d, part);
            verify(d, part, !source.checksDigest());
            FileModes.privateFile(part); // the source writes by the daemon's umask
            Files.move(part, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "caching blob " + d.digest() + " was cancelled");
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot cache blob " + d.digest() + " in " + blobs + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(part);
            deleteQuietly(part.resolveSibling(part.getFileName() + ".tmp"));
        }
    }

    /** Checks what the source wrote: it exists, has the declared size and (unless the source checked it) sha256. */
    private static void verify(Descriptor d, Path part, boolean hash) throws IOException {
        long size;
        try {
            size = Files.size(part);
        } catch (NoSuchFileException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "downloading blob " + d.digest() + " produced no file");
        }
        if (size != d.size()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "blob " + d.digest() + " has " + size + " bytes, not the "
                    + d.size() + " its manifest declares");
        }
        if (!hash) {
            return;
        }
        MessageDigest md = Digests.sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(part)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new BangerException(ErrorCode.CANCELLED, "caching blob " + d.digest() + " was cancelled");
                }
                md.update(buf, 0, n);
            }
        }
        String got = Digests.of(md);
        if (!got.equals(d.digest())) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "blob " + d.digest() + " failed verification (got " + got + ")");
        }
    }

    /**
     * Removes every cached blob whose digest is not in {@code keepDigests} (and leftovers of
     * interrupted downloads), except blobs being downloaded right now. With {@code dryRun} nothing
     * is removed and the report says what would be. Callers keep pulls from starting while it runs,
     * or a blob a pull has just been handed could go.
     */
    public PruneReport prune(Set<String> keepDigests, boolean dryRun) {
        if (!Files.isDirectory(blobs)) {
            return new PruneReport(0, 0, dryRun);
        }
        List<Path> entries;
        try (Stream<Path> s = Files.list(blobs)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot list the blob cache " + blobs + ": " + e.getMessage(), e);
        }
        int count = 0;
        long bytes = 0;
        for (Path p : entries) {
            Matcher m = ENTRY.matcher(p.getFileName().toString());
            if (!m.matches() || !Files.isRegularFile(p)) {
                continue; // not ours: leave it
            }
            String digest = "sha256:" + m.group(1);
            boolean partial = m.group(2) != null;
            if (inFlight.containsKey(digest) || !partial && keepDigests.contains(digest)) {
                continue;
            }
            try {
                long size = Files.size(p);
                if (!dryRun) {
                    Files.delete(p);
                }
                if (!partial) {
                    count++;
                }
                bytes += size;
            } catch (NoSuchFileException e) {
                // gone meanwhile
            } catch (IOException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot remove cached blob " + p + ": " + e.getMessage(), e);
            }
        }
        log.info("{} {} blobs ({} bytes) from {}", dryRun ? "would prune" : "pruned", count, bytes, blobs);
        return new PruneReport(count, bytes, dryRun);
    }

    /**
     * The leftovers of downloads a killed daemon never finished ({@code <hex>.part},
     * {@code <hex>.part.tmp}) in the blob cache under {@code dir}; for the startup sweep, when no
     * download runs.
     */
    public static List<Path> partials(Path dir) {
        Path blobs = dir.resolve("blobs").resolve("sha256");
        if (!Files.isDirectory(blobs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(blobs)) {
            return s.filter(p -> {
                Matcher m = ENTRY.matcher(p.getFileName().toString());
                return m.matches() && m.group(2) != null && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
            }).sorted().toList();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot list the blob cache " + blobs + ": " + e.getMessage(), e);
        }
    }

    private static void requireSha256(String digest) {
        if (!Digests.isSha256(digest)) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "blob digest '" + digest + "' is not sha256: and 64 hex digits");
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", p, e.toString());
        }
    }
}
