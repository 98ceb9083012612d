package dev.banger.daemon.image.oci;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads a blob with its size and sha256 checked while it streams. When the connection breaks
 * or stalls part-way, the download resumes where it stopped with {@code Range: bytes=N-} (up to
 * the retry policy's attempts); a server that answers the range with the whole blob (200) is
 * read again from byte 0. The digest is always computed over the whole blob as it was written.
 */
final class BlobPuller {

    private static final Logger log = LoggerFactory.getLogger(BlobPuller.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(?:\\d+|\\*)");

    private final RegistryTransport transport;
    private final BodyReader bodies;
    private final RetryPolicy retry;
    private final Duration timeout;

    BlobPuller(RegistryTransport transport, BodyReader bodies, RetryPolicy retry, Duration timeout) {
        this.transport = transport;
        this.bodies = bodies;
        this.retry = retry;
        this.timeout = timeout;
    }

    /** Where the bytes go; {@link #restart} forgets what was written. */
    private interface Sink {
        void write(byte[] buf, int n) throws IOException;

        void restart() throws IOException;
    }

    /**
     * Downloads {@code blob} to {@code dest}: streams to {@code dest.tmp}, then renames it into
     * place. On any failure (or interruption) {@code dest.tmp} is removed and {@code dest} is left
     * as it was. {@code bytesDone} receives the running total of the blob's bytes received (it
     * goes back to 0 when a server makes the download start over).
     */
    void fetch(RegistryTarget t, Descriptor blob, Path dest, LongConsumer bytesDone) {
        Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
        boolean done = false;
        try {
            if (dest.getParent() != null) {
                Files.createDirectories(dest.getParent());
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                download(t, blob, new Sink() {
                    @Override
                    public void write(byte[] buf, int n) throws IOException {
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }

                    @Override
                    public void restart() throws IOException {
                        ch.truncate(0);
                        ch.position(0);
                    }
                }, bytesDone);
                ch.force(true);
            }
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new RegistryCancelledException("download of blob " + blob.digest() + " from " + t.label() + " was cancelled");
            }
            throw new RegistryException("cannot write blob " + blob.digest() + " to " + tmp + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    log.warn("cannot remove partial download {}: {}", tmp, e.toString());
                }
            }
        }
    }

    /** A small blob (an image config) in memory, checked like any other. */
    byte[] read(RegistryTarget t, Descriptor blob) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(blob.size(), 1 << 20));
        try {
            download(t, blob, new Sink() {
                @Override
                public void write(byte[] b, int n) {
                    buf.write(b, 0, n);
                }

                @Override
                public void restart() {
                    buf.reset();
                }
            }, n -> { });
        } catch (IOException e) {
            throw new RegistryException("cannot buffer blob " + blob.digest() + ": " + e.getMessage(), e);
        }
        return buf.toByteArray();
    }

    private void download(RegistryTarget t, Descriptor blob, Sink sink, LongConsumer bytesDone) throws IOException {
        String digest = blob.digest();
        if (!Digests.isSha256(digest)) {
            throw new RegistryException(t.label() + " names a blob by digest '" + digest + "'; banger accepts sha256 digests only");
        }
        String label = "blob " + digest + " from " + t.label();
        MessageDigest md = Digests.sha256();
        long[] received = {0};
        for (int attempt = 1; ; attempt++) {
            long from = received[0];
            Map<String, String> range = from > 0 ? Map.of("Range", "bytes=" + from + "-") : Map.of();
            HttpResponse<InputStream> r = transport.get(t, "/v2/" + t.repository() + "/blobs/" + digest, "*/*", range);
            try {
                if (r.statusCode() == 404) {
                    throw new BlobNotFoundException("blob " + digest + " not found in " + t.label());
                }
                transport.checkStatus(t, r, "blob " + digest);
                if (from > 0 && !resumesAt(r, from)) {
                    log.info("{}: the server answered {} to a request for bytes {}-: starting over", label, r.statusCode(), from);
                    sink.restart();
                    md.reset();
                    received[0] = 0;
                    bytesDone.accept(0);
                    if (r.statusCode() != 200) {
                        continue; // a range we did not ask for: ask for the whole blob
                    }
                } else if (from > 0) {
                    log.info("{}: resuming at byte {} of {}", label, from, blob.size());
                }
                bodies.copy(r, label, (buf, n) -> {
                    if (received[0] + n > blob.size()) {
                        throw new RegistryException(label + " is longer than the " + blob.size() + " bytes its manifest declares");
                    }
                    received[0] += n;
                    md.update(buf, 0, n);
                    sink.write(buf, n);
                    bytesDone.accept(received[0]);
                });
                if (received[0] < blob.size()) {
                    throw new BodyReader.BrokenBody(false, new IOException("the body ended early"));
                }
            } catch (BodyReader.BrokenBody e) {
                String why = e.reason(timeout);
                if (attempt >= retry.attempts()) {
                    String tries = attempt > 1 ? ", " + attempt + " attempts" : "";
                    throw new RegistryException(e.stalled
                            ? label + " " + why + " after " + received[0] + " bytes" + (attempt > 1 ? " (" + attempt + " attempts)" : "")
                            : label + " ended after " + received[0] + " of " + blob.size() + " bytes (" + why + tries + ")", e.getCause());
                }
                Duration wait = retry.backoff(attempt);
                log.info("{} broke off after {} of {} bytes ({}); resuming in {} ms ({}/{})", label, received[0], blob.size(), why,
                        wait.toMillis(), attempt + 1, retry.attempts());
                RetryPolicy.sleep(wait, "download of " + label);
                continue;
            } finally {
                RegistryHttp.discard(r);
            }
            String got = Digests.of(md);
            if (!got.equals(digest)) {
                throw new UnexpectedBlobDigestException(label + " failed verification (got " + got + ")");
            }
            return;
        }
    }

    /** A 206 whose Content-Range starts at {@code from}; anything else (a 200 with the whole blob) means start over. */
    private static boolean resumesAt(HttpResponse<InputStream> r, long from) {
        if (r.statusCode() != 206) {
            return false;
        }
        Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
        return m.matches() && Long.parseLong(m.group(1)) == from;
    }
}
