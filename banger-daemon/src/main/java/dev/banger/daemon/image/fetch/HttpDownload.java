package dev.banger.daemon.image.fetch;

import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Set;

/**
 * The one plain HTTP(S) file download outside the registry client (kernel packages, bundles):
 * redirects followed (mirrors redirect), never from https to http; the body streamed into a new
 * private file while it is counted and hashed; its length checked against Content-Length and
 * against the size the caller expects; a cancel (the operation's or the thread's interrupt) ends
 * it between reads with an InterruptedIOException. Each failure is a {@link DownloadException}
 * saying why, which the caller puts in its own words. The caller checks the sha256 it gets back
 * and removes the file when it fails.
 */
public final class HttpDownload {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(2);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    /** What arrived: its length and lower-case hex sha256. */
    public record Result(long bytes, String sha256) {
    }

    /**
     * Downloads {@code uri} into the new file {@code target}.
     *
     * @param expectedBytes the length the caller knows (0: unknown), refused early when the
     *                      server announces another and cut off when it sends more
     * @param expectedBy    who expects that length, for messages ("the catalog")
     * @param stage         the progress stage reported, with bytes done and total, every {@code progressEvery} bytes
     */
    public Result fetch(URI uri, Path target, long expectedBytes, String expectedBy, String stage, long progressEvery,
                        OperationContext ctx) throws IOException {
        HttpResponse<InputStream> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("download of " + uri + " cancelled");
        } catch (ConnectException e) {
            throw new DownloadException(DownloadException.Kind.CONNECT, 0, "cannot connect to " + uri.getHost()
                    + (uri.getPort() > 0 ? ":" + uri.getPort() : ""), e);
        } catch (HttpTimeoutException e) {
            throw new DownloadException(DownloadException.Kind.TIMEOUT, 0, "no answer within " + HEADERS_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new DownloadException(DownloadException.Kind.TRANSFER, 0, e.toString(), e);
        }
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status != 200) {
                throw new DownloadException(DownloadException.Kind.STATUS, status, "HTTP " + status, null);
            }
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (expectedBytes > 0 && length >= 0 && length != expectedBytes) {
                throw new DownloadException(DownloadException.Kind.LENGTH, 0, "the server sends " + length + " bytes, "
                        + expectedBy + " expects " + expectedBytes, null);
            }
            long total = expectedBytes > 0 ? expectedBytes : Math.max(length, 0);
            MessageDigest md = Sha256.newDigest();
            long done = 0;
            long reported = 0;
            byte[] buf = new byte[1 << 16];
            ctx.progress(stage, 0, total);
            try (FileChannel out = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), FileModes.privateFile())) {
                int n;
                while ((n = body.read(buf)) >= 0) {
                    if (ctx.isCancelled() || Thread.currentThread().isInterrupted()) {
                        throw new InterruptedIOException("download of " + uri + " cancelled");
                    }
                    md.update(buf, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        out.write(bb);
                    }
                    done += n;
                    if (expectedBytes > 0 && done > expectedBytes) {
                        throw new DownloadException(DownloadException.Kind.LENGTH, 0, "the server sends more than the "
                                + expectedBytes + " bytes " + expectedBy + " expects", null);
                    }
                    if (done - reported >= progressEvery) {
                        reported = done;
                        ctx.progress(stage, done, total);
                    }
                }
                out.force(true);
            }
            ctx.progress(stage, done, total);
            if (length >= 0 && done != length || expectedBytes > 0 && done != expectedBytes) {
                throw new DownloadException(DownloadException.Kind.LENGTH, 0, "got " + done + " of "
                        + (expectedBytes > 0 ? expectedBytes : length) + " bytes", null);
            }
            return new Result(done, Sha256.hex(md));
        }
    }
}
