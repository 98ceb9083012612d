package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.rpc.Json;
import dev.banger.daemon.image.testing.TestKernelDeb;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `banger kernel import NAME --deb FILE` through a real daemon, on Debian's cloud kernel package (host-setup.sh fetches it). */
class KernelDebCliTest {

    @TempDir
    static Path dir;
    static RunningDaemon d;
    static Path deb;

    @BeforeAll
    static void start() throws Exception {
        TestKernelDeb.requireTools();
        deb = TestKernelDeb.require();
        d = RunningDaemon.start(dir.resolve("banger"));
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
        }
    }

    @Test
    void importsAPackageGivenByARelativePath() throws Exception {
        String relative = Path.of("").toAbsolutePath().relativize(deb).toString();
        CliRun imp = d.cli("kernel", "import", "cloud", "--deb", relative);
        assertThat(imp.exit()).as(imp.err()).isZero();
        assertThat(imp.err()).contains("extract package", "select modules", "build initramfs", "extract vmlinux", "publish");
        String file = deb.getFileName().toString();
        String version = file.substring("linux-image-".length(), file.indexOf('_'));
        assertThat(imp.out()).contains("name     cloud", "version  " + version, "initrd   ", "source   deb:" + file)
                .containsPattern("vmlinux  /\\S+/kernels/cloud/vmlinux");

        Map<?, ?> k = (Map<?, ?>) Json.parse(d.cli("--json", "kernel", "show", "cloud").out());
        assertThat(k.get("distro")).isEqualTo("debian");
        assertThat((String) k.get("sha256")).matches("[0-9a-f]{64}");
        assertThat((String) k.get("modules_path")).endsWith("/kernels/cloud/modules");

        CliRun again = d.cli("kernel", "import", "cloud", "--deb", deb.toString());
        assertThat(again.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(again.err()).startsWith("banger: kernel 'cloud' already exists");
        assertThat(d.cli("kernel", "delete", "cloud").out()).startsWith("deleted kernel cloud");
    }

    @Test
    void fromAndDebTogetherOrNeitherAreRefusedNamingTheFlags() {
        CliRun both = d.cli("kernel", "import", "k", "--deb", deb.toString(), "--from", dir.toString());
        assertThat(both.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(both.err()).contains("exactly one of --from DIR", "--deb FILE");
        CliRun neither = d.cli("kernel", "import", "k");
        assertThat(neither.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(neither.err()).contains("exactly one of --from DIR", "--deb FILE");
        CliRun notDeb = d.cli("kernel", "import", "k", "--deb", dir.toString());
        assertThat(notDeb.err()).contains("--deb " + dir + " is not a regular file");
    }
}
