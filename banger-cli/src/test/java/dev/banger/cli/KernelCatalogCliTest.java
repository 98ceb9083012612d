package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.Config;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestKernelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `banger kernel list --available` and `banger kernel pull NAME` through a real daemon whose
 * kernel_catalog points at a loopback server with Debian's cloud kernel package (host-setup.sh
 * fetches it; no traffic leaves 127.0.0.1).
 */
class KernelCatalogCliTest {

    @TempDir
    static Path dir;
    static RunningDaemon d;
    static TestKernelServer server;
    static Path deb;
    static String url;

    @BeforeAll
    static void start() throws Exception {
        TestKernelDeb.requireTools();
        deb = TestKernelDeb.require();
        server = TestKernelServer.start();
        url = server.serve("/debian/pool/main/" + deb.getFileName(), deb);
        String file = deb.getFileName().toString();
        String version = file.substring("linux-image-".length(), file.indexOf('_'));
        Path catalog = TestKernelServer.catalog(dir.resolve("kernels.json"),
                TestKernelServer.entry("cloud", "deb", version, url, TestKernelServer.sha256(deb), Files.size(deb)),
                TestKernelServer.entry("broken", "deb", null, url, "0".repeat(64), null));
        d = RunningDaemon.start(Config.under(dir.resolve("banger")).withKernelCatalog(catalog));
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void listAvailableThenPullThenListShowsItImported() throws Exception {
        CliRun before = d.cli("kernel", "list", "--available");
        assertThat(before.exit()).as(before.err()).isZero();
        assertThat(before.out().lines().toList()).first().asString().startsWith("NAME").contains("VERSION", "DISTRO", "IMPORTED", "SOURCE");
        assertThat(before.out()).containsPattern("cloud +6\\.1\\.0-\\S+ +debian +no +" + java.util.regex.Pattern.quote(url));

        CliRun pull = d.cli("kernel", "pull", "cloud");
        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(pull.err()).contains("fetch kernel package", "extract package", "build initramfs", "publish");
        assertThat(pull.out()).contains("name     cloud", "source   deb:" + url);

        assertThat(d.cli("kernel", "list", "--available").out()).containsPattern("cloud +6\\.1\\.0-\\S+ +debian +yes ");
        Map<?, ?> json = (Map<?, ?>) Json.parse(d.cli("--json", "kernel", "list", "--available").out());
        assertThat(json.get("catalog")).isEqualTo(dir.resolve("kernels.json").toString());
        Map<?, ?> cloud = (Map<?, ?>) ((List<?>) json.get("kernels")).getFirst();
        assertThat(cloud.get("imported")).isEqualTo(true);
        assertThat(cloud.get("cached")).isEqualTo(true);
        assertThat(d.cli("kernel", "list").out()).contains("cloud");

        CliRun again = d.cli("kernel", "pull", "cloud");
        assertThat(again.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(again.err()).startsWith("banger: kernel 'cloud' already exists");
    }

    @Test
    void unknownAndCorruptEntriesFailNamingWhy() {
        CliRun unknown = d.cli("kernel", "pull", "nope");
        assertThat(unknown.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(unknown.err()).contains("kernel 'nope' is not in the kernel catalog", "banger kernel list --available");

        CliRun broken = d.cli("kernel", "pull", "broken");
        assertThat(broken.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(broken.err()).contains("failed verification", "expected sha256 " + "0".repeat(64), "got ");
    }
}
