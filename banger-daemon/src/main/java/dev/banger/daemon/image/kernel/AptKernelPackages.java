package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Kernel packages of {@link KernelCatalog.Kind#APT} catalog entries, fetched by the host's own apt:
 * its sources and apt.conf (proxies, mirrors), or only the file the config key
 * {@code kernel_apt_sources} names. apt's package lists are bangerd's own
 * ({@code <cache_dir>/apt}), refreshed by {@code apt-get update} at each pull, so the host's apt state
 * is never touched and a stale host list cannot name a package the archive dropped. A metapackage
 * (linux-image-cloud-amd64) is resolved to the linux-image it depends on; apt checks the download
 * against the archive's signed lists, and the file is kept in {@code <cache_dir>/kernels/apt/<package>/}
 * under apt's own name, so a pull after a delete finds it (hashed again against apt's sha256).
 */
public final class AptKernelPackages {

    public static final String UPDATE_STAGE = "update apt package lists";
    private static final Duration APT_TIMEOUT = Duration.ofMinutes(10);
    /** {@code 'URI' FILENAME SIZE SHA256:HEX} (the strongest hash the archive lists), from {@code apt-get download --print-uris}. */
    private static final Pattern PRINT_URI = Pattern.compile("'([^']+)' (\\S+\\.deb) (\\d+) (SHA256|SHA512):([0-9a-f]+)");
    private static final Pattern LINUX_IMAGE_DEPENDENCY = Pattern.compile("(?m)^\\s*Depends: (linux-image-\\S+)\\s*$");

    private final CommandRunner runner;
    private final Path aptDir;
    private final Path debDir;
    private final Path sources;
    /** apt's lists are shared by every entry: one apt run at a time. */
    private final ReentrantLock aptLock = new ReentrantLock();

    /**
     * @param aptDir  bangerd's apt lists and caches
     * @param debDir  where downloaded packages are kept, one directory per catalog package
     * @param sources {@code kernel_apt_sources}, or null for the host's apt sources
     */
    public AptKernelPackages(CommandRunner runner, Path aptDir, Path debDir, Path sources) {
        this.runner = runner;
        this.aptDir = aptDir;
        this.debDir = debDir;
        this.sources = sources;
    }

    /** One package apt would download: its URL, file name, size and digest (algorithm SHA-256 or SHA-512, hex). */
    public record Download(String url, String fileName, long size, String algorithm, String digest) {
    }

    /** True when a package of {@code e} was downloaded before (apt may have a newer one by now). */
    public boolean isCached(KernelCatalog.Entry e) {
        try (Stream<Path> s = Files.list(debDir.resolve(e.aptPackage()))) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".deb"));
        } catch (IOException x) {
            return false;
        }
    }

    /** The entry's current package: lists refreshed, metapackage resolved, downloaded unless the same file is cached. */
    public Path get(KernelCatalog.Entry e, OperationContext ctx) {
        String aptGet = HostPrograms.locate("apt-get").map(Path::toString).orElseThrow(() -> new BangerException(
                ErrorCode.OPERATION_FAILED, "kernel " + e.name() + " comes from apt (package " + e.aptPackage() + "), and apt-get "
                + "is not installed here: banger's default kernel needs a Debian or Ubuntu host. Elsewhere import a kernel "
                + "package you have (banger kernel import NAME --deb FILE) or use another kernel_catalog"));
        try {
            aptLock.lockInterruptibly();
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "apt download of " + e.aptPackage() + " cancelled");
        }
        try {
            Files.createDirectories(aptDir.resolve("lists/partial"));
            Files.createDirectories(aptDir.resolve("no-source-parts"));
            ctx.progress(UPDATE_STAGE);
            CommandResult update = apt(aptGet, "update");
            if (!update.ok()) {
                throw failed(e, "apt-get update failed: " + lastLines(update.stderr(), 6));
            }
            ctx.checkCancelled();
            String real = resolve(e, update);
            Download d = printUri(e, aptGet, real, update);
            ctx.progress("kernel package " + d.fileName() + " (from " + e.aptPackage() + ")");
            Path dir = Files.createDirectories(debDir.resolve(e.aptPackage()));
            Path file = dir.resolve(d.fileName());
            if (Files.isRegularFile(file)) {
                ctx.progress(KernelPackageCache.CACHED_STAGE);
                String got = KernelPackageCache.digest(file, MessageDigest.getInstance(d.algorithm()), "kernel package " + file);
                if (got.equals(d.digest())) {
                    return file;
                }
                Files.delete(file);
            }
            download(e, aptGet, real, d, dir, ctx);
            return file;
        } catch (NoSuchAlgorithmException x) {
            throw new IllegalStateException("the JDK has SHA-256 and SHA-512", x);
        } catch (IOException x) {
            if (ctx.isCancelled() || Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "apt download of " + e.aptPackage() + " cancelled", x);
            }
            throw failed(e, x.getMessage());
        } finally {
            aptLock.unlock();
        }
    }

    /** The package that ships the kernel: a metapackage's linux-image dependency, else the package itself. */
    private String resolve(KernelCatalog.Entry e, CommandResult update) {
        String aptCache = HostPrograms.locate("apt-cache").map(Path::toString).orElse("apt-cache");
        CommandResult r = apt(aptCache, "depends", "--no-recommends", "--no-suggests", e.aptPackage());
        if (!r.ok()) {
            throw unknownPackage(e, e.aptPackage(), r, update);
        }
        Matcher m = LINUX_IMAGE_DEPENDENCY.matcher(r.stdout());
        return m.find() ? m.group(1) : e.aptPackage();
    }

    private Download printUri(KernelCatalog.Entry e, String aptGet, String pkg, CommandResult update) {
        CommandResult r = apt(aptGet, "download", "--print-uris", pkg);
        Matcher m = PRINT_URI.matcher(r.stdout());
        if (!r.ok() || !m.find()) {
            throw unknownPackage(e, pkg, r, update);
        }
        return new Download(m.group(1), m.group(2), Long.parseLong(m.group(3)), m.group(4).replace("SHA", "SHA-"), m.group(5));
    }

    /** apt-get download into a private directory (apt verifies it), then renamed into the cache. */
    private void download(KernelCatalog.Entry e, String aptGet, String pkg, Download d, Path dir, OperationContext ctx)
            throws IOException {
        Path tmp = Files.createTempDirectory(dir, ".download-");
        try {
            sandboxUserMayWrite(tmp);
            ctx.progress(KernelPackageCache.FETCH_STAGE, 0, d.size());
            CommandResult r = runner.runAllowingFailure(aptCommand(aptGet, "download", pkg).withWorkDir(tmp));
            if (!r.ok()) {
                ctx.checkCancelled();
                throw failed(e, "apt-get download " + pkg + " (" + d.url() + ") failed: " + lastLines(r.stderr(), 4));
            }
            Path got = tmp.resolve(d.fileName());
            if (!Files.isRegularFile(got)) {
                throw failed(e, "apt-get download " + pkg + " left no " + d.fileName());
            }
            ctx.progress(KernelPackageCache.FETCH_STAGE, d.size(), d.size());
            Files.move(got, dir.resolve(d.fileName()), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileTrees.deleteQuietly(tmp);
        }
    }

    private CommandResult apt(String program, String... args) {
        return runner.runAllowingFailure(aptCommand(program, args));
    }

    /** The host's apt configuration with bangerd's own lists (and, with kernel_apt_sources, only that file's sources). */
    private Command aptCommand(String program, String... args) {
        List<String> argv = new ArrayList<>(List.of(program, "-q",
                "-o", "Dir::State::Lists=" + aptDir.resolve("lists"),
                "-o", "Dir::Cache=" + aptDir.resolve("cache")));
        if (sources != null) {
            argv.addAll(List.of("-o", "Dir::Etc::sourcelist=" + sources,
                    "-o", "Dir::Etc::sourceparts=" + aptDir.resolve("no-source-parts")));
        }
        argv.addAll(List.of(args));
        return new Command(argv, APT_TIMEOUT, null, Map.of("LC_ALL", "C"), null);
    }

    /** apt downloads as user _apt where it can; it must be able to write there, or it warns and downloads as root. */
    private static void sandboxUserMayWrite(Path dir) {
        try {
            UserPrincipal apt = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("_apt");
            Files.setOwner(dir, apt);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // No _apt user (or not root): apt downloads as the daemon's user.
        }
    }

    private BangerException unknownPackage(KernelCatalog.Entry e, String pkg, CommandResult r, CommandResult update) {
        String updateWarnings = lastLines(update.stderr(), 4);
        return failed(e, "apt knows no package " + pkg + " (" + whose() + "): " + lastLines(r.stderr(), 2)
                + (updateWarnings.isEmpty() ? "" : "; apt-get update said: " + updateWarnings)
                + ". Is this a Debian host with its main archive among apt's sources? Otherwise import a kernel package you have: "
                + "banger kernel import NAME --deb FILE");
    }

    private String whose() {
        return sources == null ? "the host's apt sources, /etc/apt/sources.list and /etc/apt/sources.list.d"
                : "the apt sources in " + sources + ", config key kernel_apt_sources";
    }

    private static BangerException failed(KernelCatalog.Entry e, String why) {
        return new BangerException(ErrorCode.OPERATION_FAILED, "kernel " + e.name() + " (apt package " + e.aptPackage() + "): " + why);
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text == null ? List.of() : text.strip().lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
