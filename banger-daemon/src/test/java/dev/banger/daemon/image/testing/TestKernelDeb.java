package dev.banger.daemon.image.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the {@code kernel import --deb} tests need from the host, which scripts/host-setup.sh
 * provides: Debian's cloud kernel package, downloaded once into {@link #CACHE} (tests use no
 * network), and the tools the importer runs. Missing, a test fails saying so; only a non-root
 * user (who could not run host-setup.sh) gets a skip instead.
 */
public final class TestKernelDeb {

    /** Where host-setup.sh puts {@code linux-image-*-cloud-amd64_*.deb}. */
    public static final Path CACHE = Path.of("/var/cache/banger-test/kernel");
    /** System property (or environment variable BANGER_TEST_KERNEL_DEB) naming another .deb to use. */
    public static final String PROPERTY = "banger.test.kernel-deb";
    static final String SETUP = "run scripts/host-setup.sh as root";

    private TestKernelDeb() {
    }

    /** The real kernel package. */
    public static Path require() {
        String given = System.getProperty(PROPERTY, System.getenv("BANGER_TEST_KERNEL_DEB"));
        if (given != null && !given.isBlank()) {
            Path p = Path.of(given).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                fail(PROPERTY + "=" + given + " is not a file");
            }
            return p;
        }
        if (Files.isDirectory(CACHE)) {
            try (Stream<Path> s = Files.list(CACHE)) {
                List<Path> debs = s.filter(p -> p.getFileName().toString().matches("linux-image-.*-cloud-amd64_.*\\.deb"))
                        .sorted().toList();
                if (!debs.isEmpty()) {
                    return debs.getLast();
                }
            } catch (IOException e) {
                fail("cannot list " + CACHE + ": " + e);
            }
        }
        return missing("Debian's cloud kernel package (linux-image-*-cloud-amd64_*.deb) is not in " + CACHE
                + ": " + SETUP + " (it downloads it once), or set -D" + PROPERTY + "=FILE.deb");
    }

    /** busybox-static, kmod (depmod), dpkg-deb: what every import runs; lz4 and cpio, which tests check its output with. */
    public static void requireTools() {
        for (String[] tool : new String[][] {{"/bin/busybox", "busybox-static"}, {"depmod", "kmod"}, {"dpkg-deb", "dpkg"},
                {"lz4", "lz4"}, {"cpio", "cpio"}}) {
            if (!onHost(tool[0])) {
                missing(tool[0] + " is not installed (Debian package " + tool[1] + "): " + SETUP);
            }
        }
    }

    /** True when {@code program} (a path, or a name looked up in PATH and the sbin dirs) exists. */
    public static boolean onHost(String program) {
        if (program.startsWith("/")) {
            return Files.isExecutable(Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        return Stream.of(path.split(":")).filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, program)));
    }

    /**
     * Builds a .deb with {@code dpkg-deb -b} from {@code files} (path in the package -> content),
     * as a stand-in for packages that are not kernels or hold two.
     */
    public static Path build(Path dir, String name, Map<String, String> files) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name + "-root"));
        Path control = Files.createDirectories(root.resolve("DEBIAN"));
        Files.setPosixFilePermissions(control, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(control.resolve("control"), """
                Package: %s
                Version: 1.0
                Architecture: amd64
                Maintainer: banger tests <tests@banger.invalid>
                Description: a stand-in package for banger's kernel import tests
                """.formatted(name));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = root.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        Path deb = dir.resolve(name + ".deb");
        new CommandRunner().run(Command.of("dpkg-deb", "--root-owner-group", "-b", root.toString(), deb.toString()));
        return deb;
    }

    /** Fails with {@code message}; a non-root user, who could not run host-setup.sh, gets a skip instead. */
    static <T> T missing(String message) {
        if (!isRoot()) {
            Assumptions.abort(message + " (skipping: this user cannot install it)");
        }
        return fail(message);
    }

    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
