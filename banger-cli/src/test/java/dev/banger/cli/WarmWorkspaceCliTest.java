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
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Warm start through the CLI, as banger-test: {@code vm run PATH} boots the first time and builds
 * the image's template in the background; the next {@code vm run PATH} starts from that template
 * ({@code vm show} says so), and the repository is shipped into the warm clone as into a booted
 * VM; {@code vm run --cold} boots.
 */
class WarmWorkspaceCliTest {

    private static final String USER = "banger-test";
    private static final CommandRunner RUNNER = new CommandRunner();

    static Path dir;
    static Path repo;
    static TestRegistry registry;
    static RunningDaemon d;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Launchers.runningAsRoot(), "needs root to run the CLI as another user");
        assumeTrue(Launchers.userExists(USER), "scripts/host-setup.sh creates user banger-test in group banger");
        Launchers.assumeBuilt();
        TestKernelDeb.requireTools();
        Path deb = TestKernelDeb.require();

        dir = Launchers.openDirectory("banger-warm");
        registry = TestRegistry.start(Files.createDirectories(dir.resolve("registry")));
        registry.push("bbgit", "v1", TestGuestImages.busyboxGitImage());
        Config base = Config.under(dir.resolve("banger"));
        VmSettings v = base.vm();
        d = RunningDaemon.startAsConfigured(base.withVm(new VmSettings(v.hypervisor(), v.qemuBin(), v.bridgeName(), v.bridgeIp(),
                v.cidr(), "bbgit", v.vcpu(), 256, 256L << 20, v.bootTimeout()).withWarmStart(true)));
        assertThat(d.cli("kernel", "import", "cloud", "--deb", deb.toString()).exit()).isZero();
        CliRun pull = d.cli("image", "pull", registry.host() + "/bbgit:v1", "--name", "bbgit", "--kernel-ref", "cloud");
        assertThat(pull.exit()).as(pull.err()).isZero();
        repo = Files.createDirectory(dir.resolve("repo"));
        RUNNER.run("chown", USER, repo.toString());
        CommandResult init = RUNNER.runAllowingFailure(new Command(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER,
                "--init-groups", "--", "env", "HOME=" + repo, "GIT_CONFIG_GLOBAL=/dev/null", "sh", "-c",
                "git init -q -b main && git config user.name Ada && git config user.email ada@example.org"
                        + " && printf 'warm\\n' > a.txt && git add -A && git commit -q -m first && printf 'edited\\n' > a.txt"),
                Duration.ofMinutes(1), repo, Map.of(), null));
        assertThat(init.exitCode()).as(init.stderr()).isZero();
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.cli("vm", "delete", "--force", "warm");
            d.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (dir != null) {
            Launchers.deleteTree(dir);
        }
    }

    @Test
    void aWorkspaceShipsIntoAWarmCloneAsIntoABootedVm() throws Exception {
        CommandResult first = banger("vm", "run", "--rm", repo.toString(), "--", "cat", "a.txt");
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("edited\n");
        awaitTemplate();

        CommandResult warm = banger("vm", "run", "-d", "--name", "warm", repo.toString());
        assertThat(warm.exitCode()).as(warm.stderr()).isZero();
        Map<?, ?> shown = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "show", "warm").out());
        assertThat(shown.get("template_id")).as("vm run started it from the template").isNotNull();
        assertThat(d.cli("vm", "show", "warm").out()).contains("started from template " + shown.get("template_id"));
        CommandResult there = banger("vm", "exec", "warm", "--", "sh", "-c", "cat a.txt; pwd; hostname; git status --porcelain");
        assertThat(there.exitCode()).as(there.stderr()).isZero();
        assertThat(there.stdout()).as("the shipped tree, in the clone with its own name").isEqualTo("edited\n/root/repo\nwarm\n M a.txt\n");

        CommandResult cold = banger("vm", "run", "--rm", "--cold", repo.toString(), "--", "cat", "a.txt");
        assertThat(cold.exitCode()).as(cold.stderr()).isZero();
        assertThat(cold.stdout()).isEqualTo("edited\n");
    }

    /** The template of the first run's image, once its build is over. */
    private static void awaitTemplate() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            Map<?, ?> snaps = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "snapshot", "list", "--templates").out());
            Map<?, ?> vms = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "list", "--templates").out());
            if (!((List<?>) snaps.get("snapshots")).isEmpty() && ((List<?>) vms.get("vms")).isEmpty()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no template within 3 minutes");
    }

    private static CommandResult banger(String... args) {
        String[] argv = Stream.concat(Stream.of("--socket", d.socket.toString()), Stream.of(args)).toArray(String[]::new);
        return Launchers.banger(USER, argv);
    }
}
