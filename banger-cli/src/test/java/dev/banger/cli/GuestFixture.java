package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.config.Config;
import dev.banger.core.config.VmSettings;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestGuestImages;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the CLI test classes that boot guests share: a directory the group member banger-test can
 * read, a registry on loopback with the busybox guests pushed, and a daemon (256 MiB guests, the
 * first image the default) with Debian's cloud kernel imported as {@code cloud} and the images
 * pulled under their names. Closing it deletes every VM and removes it all.
 */
final class GuestFixture implements AutoCloseable {

    static final String USER = "banger-test";
    private static final CommandRunner RUNNER = new CommandRunner();
    private static final Map<String, Supplier<TestImage>> IMAGES =
            Map.of("bb", TestGuestImages::busyboxImage, "bbgit", TestGuestImages::busyboxGitImage);

    final Path dir;
    final RunningDaemon d;
    private final TestRegistry registry;

    private GuestFixture(Path dir, TestRegistry registry, RunningDaemon d) {
        this.dir = dir;
        this.registry = registry;
        this.d = d;
    }

    /**
     * Skips the test class where the CLI cannot run as banger-test or the guests' kernel is missing.
     * {@code warmStart}: whether the daemon keeps templates (a second boot in the background).
     */
    static GuestFixture start(String name, boolean warmStart, String... images) throws Exception {
        assumeTrue(Launchers.runningAsRoot(), "needs root to run the CLI as another user");
        assumeTrue(Launchers.userExists(USER), "scripts/host-setup.sh creates user banger-test in group banger");
        Launchers.assumeBuilt();
        TestKernelDeb.requireTools();
        Path deb = TestKernelDeb.require();
        Path dir = Launchers.openDirectory(name); // banger-test reads the group key under the state dir
        TestRegistry registry = null;
        RunningDaemon d = null;
        try {
            registry = TestRegistry.start(Files.createDirectories(dir.resolve("registry")));
            for (String image : images) {
                registry.push(image, "v1", IMAGES.get(image).get());
            }
            Config base = Config.under(dir.resolve("banger"));
            VmSettings v = base.vm();
            d = RunningDaemon.startAsConfigured(base.withVm(new VmSettings(v.hypervisor(), v.qemuBin(), v.bridgeName(), v.bridgeIp(),
                    v.cidr(), images[0], v.vcpu(), 256, 256L << 20, v.bootTimeout()).withWarmStart(warmStart)));
            assertThat(d.cli("kernel", "import", "cloud", "--deb", deb.toString()).exit()).isZero();
            for (String image : images) {
                CliRun pull = d.cli("image", "pull", registry.host() + "/" + image + ":v1", "--name", image, "--kernel-ref", "cloud");
                assertThat(pull.exit()).as(pull.err()).isZero();
            }
            return new GuestFixture(dir, registry, d);
        } catch (Exception | AssertionError e) {
            new GuestFixture(dir, registry, d).close();
            throw e;
        }
    }

    /** {@code banger ARGS} through the launcher, as banger-test, against this daemon. */
    CommandResult banger(String... args) {
        String[] argv = Stream.concat(Stream.of("--socket", d.socket.toString()), Stream.of(args)).toArray(String[]::new);
        return Launchers.banger(USER, argv);
    }

    /** A new directory {@code name} in the fixture's, banger-test's, where that user runs {@code steps} (sh, joined by &&). */
    Path userRepo(String name, String... steps) throws IOException {
        Path r = Files.createDirectory(dir.resolve(name));
        RUNNER.run("chown", USER, r.toString());
        asUserIn(r, "sh", "-c", String.join(" && ", steps));
        return r;
    }

    /** {@code cmd} run as banger-test in {@code where} (its HOME, no global git config); its stdout; fails the test unless it exits 0. */
    static String asUserIn(Path where, String... cmd) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--",
                "env", "HOME=" + where, "GIT_CONFIG_GLOBAL=/dev/null"));
        argv.addAll(List.of(cmd));
        CommandResult r = RUNNER.runAllowingFailure(new Command(argv, Duration.ofMinutes(1), where, Map.of(), null));
        assertThat(r.exitCode()).as(String.join(" ", cmd) + ": " + r.stderr()).isZero();
        return r.stdout();
    }

    /** The names of the daemon's VMs. */
    List<String> vmNames() {
        try {
            Map<?, ?> list = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "list").out());
            return ((List<?>) list.get("vms")).stream().map(v -> (String) ((Map<?, ?>) v).get("name")).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (d != null) {
            vmNames().forEach(name -> d.cli("vm", "delete", "--force", name));
            d.close();
        }
        if (registry != null) {
            registry.close();
        }
        Launchers.deleteTree(dir);
    }
}
