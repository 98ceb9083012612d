package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Stage 1: unpacks a Debian linux-image package with {@code dpkg-deb -x} and finds its one
 * kernel: {@code boot/vmlinuz-VERSION} and {@code lib/modules/VERSION} (or {@code usr/lib/modules}
 * on merged-/usr packages). Anything that is not such a package is a bad request naming the file.
 */
final class DebExtractor {

    /** A .deb is an ar archive whose first member is debian-binary. */
    private static final byte[] DEB_MAGIC = "!<arch>\ndebian-binary".getBytes(StandardCharsets.US_ASCII);
    /** Safe in paths and in the generated init script. */
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}");
    private static final Duration EXTRACT_TIMEOUT = Duration.ofMinutes(5);

    /** What the package holds: its kernel version, the bzImage, and its modules dir (null when it ships none). */
    record Extracted(String version, Path vmlinuz, Path modulesDir) {
    }

    private final CommandRunner runner;

    DebExtractor(CommandRunner runner) {
        this.runner = runner;
    }

    Extracted extract(Path deb, Path into) throws IOException {
        requireDeb(deb);
        Path dpkgDeb = HostTools.find("dpkg-deb", "dpkg");
        Files.createDirectories(into);
        try {
            runner.run(Command.of(dpkgDeb.toString(), "-x", deb.toString(), into.toString()).withTimeout(EXTRACT_TIMEOUT));
        } catch (CommandFailedException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "kernel import of " + deb.getFileName() + " cancelled");
            }
            if (e.result() == null) { // could not start, or timed out: not the file's fault
                throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot extract " + deb + ": " + e.getMessage(), e);
            }
            throw BangerException.badRequest(deb + " is not a usable Debian package: dpkg-deb cannot extract it: "
                    + e.getMessage());
        }
        return findKernel(deb, into);
    }

    /** A bad request naming the file unless it starts like a .deb. */
    static void requireDeb(Path deb) throws IOException {
        byte[] head = new byte[DEB_MAGIC.length];
        int n;
        try (InputStream in = Files.newInputStream(deb)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n < head.length || !Arrays.equals(head, DEB_MAGIC)) {
            throw BangerException.badRequest(deb + " is not a Debian package (.deb): it does not start like one");
        }
    }

    private static Extracted findKernel(Path deb, Path root) throws IOException {
        TreeSet<String> images = new TreeSet<>();
        Path boot = root.resolve("boot");
        if (Files.isDirectory(boot, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(boot)) {
                s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                        .map(p -> p.getFileName().toString())
                        .filter(f -> f.startsWith("vmlinuz-"))
                        .forEach(f -> images.add(f.substring("vmlinuz-".length())));
            }
        }
        if (images.isEmpty()) {
            throw BangerException.badRequest(deb.getFileName() + " holds no kernel (no boot/vmlinuz-*): "
                    + "give a linux-image package, e.g. linux-image-6.1.0-*-cloud-amd64");
        }
        TreeSet<String> moduleVersions = new TreeSet<>();
        List<Path> moduleDirs = new ArrayList<>();
        for (String base : List.of("lib/modules", "usr/lib/modules")) {
            Path dir = root.resolve(base);
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(p -> {
                        moduleVersions.add(p.getFileName().toString());
                        moduleDirs.add(p);
                    });
                }
            }
        }
        TreeSet<String> all = new TreeSet<>(images);
        all.addAll(moduleVersions);
        if (all.size() > 1) {
            throw BangerException.badRequest(deb.getFileName() + " holds more than one kernel version ("
                    + String.join(", ", all) + "): banger imports one kernel per package");
        }
        String version = images.first();
        if (!VERSION.matcher(version).matches()) {
            throw BangerException.badRequest(deb.getFileName() + ": kernel version '" + version + "' has characters banger does not accept");
        }
        if (moduleDirs.size() > 1) {
            throw BangerException.badRequest(deb.getFileName() + " holds modules for " + version + " in both lib/modules and usr/lib/modules");
        }
        return new Extracted(version, boot.resolve("vmlinuz-" + version), moduleDirs.isEmpty() ? null : moduleDirs.getFirst());
    }
}
