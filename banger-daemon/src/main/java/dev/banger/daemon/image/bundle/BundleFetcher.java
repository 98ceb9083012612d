package dev.banger.daemon.image.bundle;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;

/**
 * The default {@code bundleFetch}: brings a bundle into the pull's staging directory. An
 * {@code http://} or {@code https://} URL is downloaded with the JDK's HttpClient (redirects
 * followed, never from https to http); anything else must be an absolute path to a file (named
 * only by a caller with bangerd's rights: BundleImages checks), which is copied ({@code cp --reflink=auto}, so a copy on the same btrfs/xfs costs nothing). The bytes are
 * not checked here: {@link BundleReader} hashes them as it unpacks.
 */
public final class BundleFetcher {

    static final String FILE_NAME = "bundle.download";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration COPY_TIMEOUT = Duration.ofHours(1);

    private final CommandRunner runner;

    public BundleFetcher(CommandRunner runner) {
        this.runner = runner;
    }

    /** Where {@code source} names a URL (http or https), rather than a file. */
    public static boolean isUrl(String source) {
        String s = source.toLowerCase(Locale.ROOT);
        return s.startsWith("http://") || s.startsWith("https://");
    }

    public Path fetch(String source, Path staging, OperationContext ctx) throws IOException, InterruptedException {
        Path out = staging.resolve(FILE_NAME);
        if (isUrl(source)) {
            download(source, out, ctx);
        } else if (source.contains("://")) {
            throw BangerException.badRequest("bundle '" + source + "': only http://, https:// and file paths are supported");
        } else {
            copy(source, out, ctx);
        }
        return out;
    }

    private void copy(String source, Path out, OperationContext ctx) {
        Path from = Path.of(source);
        if (!from.isAbsolute()) {
            throw BangerException.badRequest("bundle path " + source + " is not absolute");
        }
        if (!Files.isRegularFile(from)) {
            throw BangerException.notFound("bundle file " + source + " does not exist (or is not a file)");
        }
        ctx.progress("copy bundle");
        try {
            runner.run(Command.of("cp", "--reflink=auto", "--", from.toString(), out.toString()).withTimeout(COPY_TIMEOUT));
        } catch (CommandFailedException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot copy bundle " + source + ": " + e.getMessage(), e);
        }
    }

    private static void download(String url, Path out, OperationContext ctx) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw BangerException.badRequest("bundle URL '" + url + "' is not valid: " + e.getReason());
        }
        if (uri.getHost() == null) {
            throw BangerException.badRequest("bundle URL '" + url + "' has no host");
        }
        ctx.progress("fetch bundle");
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build()) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (ConnectException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot connect to " + uri.getHost()
                        + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + " for the bundle", e);
            } catch (IOException e) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, "fetching bundle " + url + " failed: " + e, e);
            }
            try (InputStream body = response.body()) {
                int status = response.statusCode();
                if (status != 200) {
                    throw new BangerException(status == 404 ? ErrorCode.NOT_FOUND : ErrorCode.OPERATION_FAILED,
                            "fetching bundle " + url + ": HTTP " + status);
                }
                long total = response.headers().firstValueAsLong("Content-Length").orElse(0);
                byte[] buf = new byte[1 << 20];
                long done = 0;
                long reported = 0;
                try (OutputStream file = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    int n;
                    while ((n = body.read(buf)) >= 0) {
                        ctx.checkCancelled();
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedException();
                        }
                        file.write(buf, 0, n);
                        done += n;
                        if (done - reported >= (8L << 20)) {
                            reported = done;
                            ctx.progress("fetch bundle", done, total);
                        }
                    }
                }
                if (total > 0 && done != total) {
                    throw new BangerException(ErrorCode.OPERATION_FAILED, "fetching bundle " + url + ": got " + done
                            + " of " + total + " bytes");
                }
                ctx.progress("fetch bundle", done, total);
            }
        }
    }
}
