package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.rpc.Json;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.image.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `banger image ...` and `banger kernel ...` through a real daemon and a real registry. */
class ImageCliTest {

    @TempDir
    static Path dir;
    static TestRegistry registry;
    static RunningDaemon d;

    @BeforeAll
    static void start() throws Exception {
        registry = TestRegistry.start(Files.createDirectories(dir.resolve("registry")));
        registry.push("app", "v1", TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).dir("root", 0700).file("root/.profile", "x").gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        d = RunningDaemon.start(dir.resolve("banger"));
    }

    @AfterAll
    static void stop() {
        d.close();
        registry.close();
    }

    @Test
    void pullListShowDelete() throws Exception {
        CliRun pull = d.cli("image", "pull", registry.host() + "/app:v1", "--name", "app");
        assertThat(pull.exit()).as(pull.err()).isZero();
        assertThat(pull.err()).contains("fetch layers").contains("build rootfs.ext4").contains("publish");
        assertThat(pull.out()).contains("name       app").contains("work-seed  ").doesNotContain("guest /root will be empty");

        CliRun list = d.cli("image", "list");
        assertThat(list.out()).startsWith("NAME").contains("app ");

        CliRun json = d.cli("--json", "image", "show", "app");
        Map<?, ?> image = (Map<?, ?>) Json.parse(json.out());
        assertThat(image.get("name")).isEqualTo("app");
        assertThat((String) image.get("rootfs_path")).endsWith("/rootfs.ext4");

        CliRun again = d.cli("image", "pull", registry.host() + "/app:v1", "--name", "app");
        assertThat(again.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(again.err()).startsWith("banger: image 'app' already exists").containsPattern("\\(op [0-9a-f]{12}\\)");

        CliRun delete = d.cli("image", "delete", "app");
        assertThat(delete.exit()).isZero();
        assertThat(delete.out()).startsWith("deleted image app");
        assertThat(d.cli("image", "show", "app").err()).contains("image 'app' not found");
    }

    @Test
    void badInputIsRefusedBeforeAndByTheDaemon() {
        CliRun size = d.cli("image", "pull", registry.host() + "/app:v1", "--size", "4GiB");
        assertThat(size.exit()).as("a usage error").isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(size.err()).startsWith("banger: --size '4GiB' is not a size").endsWith("see 'banger image pull --help'\n");

        CliRun tag = d.cli("image", "pull", registry.host() + "/app:nope");
        assertThat(tag.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(tag.err()).contains("nope").contains("(op ");

        CliRun ref = d.cli("image", "pull", "UPPER/Case");
        assertThat(ref.err()).contains("invalid repository");

        assertThat(d.cli("ping").exit()).as("daemon still serves").isZero();
    }

    @Test
    void kernelImportListDelete() throws Exception {
        Path k = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(k.resolve("vmlinuz"), "bz");
        CliRun imp = d.cli("kernel", "import", "k1", "--from", k.toString(), "--kernel-version", "6.1.0");
        assertThat(imp.exit()).as(imp.err()).isZero();
        assertThat(imp.out()).contains("name     k1").contains("version  6.1.0");
        assertThat(d.cli("kernel", "list").out()).contains("k1").contains("6.1.0");
        assertThat(d.cli("kernel", "delete", "k1").out()).startsWith("deleted kernel k1");
        assertThat(d.cli("kernel", "show", "k1").err()).contains("kernel 'k1' not found");
    }
}
