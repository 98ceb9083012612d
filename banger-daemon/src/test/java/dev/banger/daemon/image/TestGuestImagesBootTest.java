package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestGuest;
import dev.banger.daemon.image.testing.TestGuestImages;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM tests' guest images really boot and take SSH: each is pushed to a real registry, pulled
 * with {@link ImageService} (which injects banger-init), and booted under QEMU TCG with Debian's
 * cloud kernel, a work disk holding a fresh key, and the banger.* kernel parameters; then SSH as
 * root must answer from the configured hostname with /root on the work disk. One guest at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TestGuestImagesBootTest {

    private static final String PROBE = "uname -r; hostname; cat /proc/cmdline; ls -a /root; id -u";

    @TempDir
    static Path dir;
    TestRegistry registry;
    Store store;
    ImageService images;
    KernelInfo kernel;

    @BeforeAll
    void importKernelAndStartRegistry() {
        TestGuest.requireTools();
        TestKernelDeb.requireTools();
        Path deb = TestKernelDeb.require();
        registry = TestRegistry.start(dir.resolve("registry"));
        Config config = Config.under(dir.resolve("banger"));
        store = Store.open(Layout.of(config).database());
        images = new ImageService(store, new CommandRunner(), Layout.of(config), config, Clock.systemUTC());
        kernel = images.importKernel(new KernelApi.KernelImportParams("cloud", null, null, null, deb.toString()), ctx("kernel.import"));
    }

    @AfterAll
    void close() {
        if (registry != null) {
            registry.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    void busyboxImageBootsAndTakesSshThroughDropbear() throws Exception {
        TestImage busybox = TestGuestImages.busyboxImage();
        ImageInfo image = pull("busybox", busybox);
        try (TestGuest guest = TestGuest.boot(image, kernel, "t1", dir.resolve("busybox-vm"))) {
            CommandResult probe = guest.awaitSsh(PROBE, Duration.ofSeconds(60));
            System.out.printf("busybox image (%d KiB layer): boot to SSH %d ms%n", busybox.layers().getFirst().size() >> 10,
                    guest.uptime().toMillis());
            assertProbe(probe, guest);
            assertThat(guest.ssh("ps -o comm | grep -x dropbear").stdout()).as("the SSH server banger-init started").contains("dropbear");
        }
    }

    @Test
    void debianImageBootsSystemdAndTakesSshThroughOpenssh() throws Exception {
        TestImage debian = TestGuestImages.debianImage();
        ImageInfo image = pull("debian", debian);
        try (TestGuest guest = TestGuest.boot(image, kernel, "t1", dir.resolve("debian-vm"))) {
            CommandResult probe = guest.awaitSsh(PROBE, Duration.ofSeconds(120));
            System.out.printf("debian image: boot to SSH %d ms%n", guest.uptime().toMillis());
            assertProbe(probe, guest);
            assertThat(probe.stdout().lines()).as("the work disk is seeded from the image's /root").contains(".bashrc", ".profile");
            CommandResult state = guest.ssh("systemctl is-system-running --wait; systemctl --failed --no-legend; "
                    + "cat /proc/1/comm; systemctl is-active ssh; ls /etc/ssh");
            String why = state + "\n" + guest.diagnostics();
            assertThat(state.stdout().lines().toList()).as(why).first().isIn("running", "degraded");
            assertThat(state.stdout().lines()).as(why).contains("systemd", "active");
            assertThat(state.stdout().lines()).as("banger-init made this VM's own host key, ed25519 only (RSA is slow under TCG)")
                    .contains("ssh_host_ed25519_key").doesNotContain("ssh_host_rsa_key");
        }
    }

    /** The kernel we booted, the hostname and network from the command line, /root from the work disk, root. */
    private void assertProbe(CommandResult probe, TestGuest guest) {
        List<String> lines = probe.stdout().lines().toList();
        String why = probe.stdout() + probe.stderr() + "\n" + guest.diagnostics();
        assertThat(lines).as(why).hasSizeGreaterThan(4);
        assertThat(lines.get(0)).as(why).isEqualTo(kernel.version());
        assertThat(lines.get(1)).as(why).isEqualTo("t1");
        assertThat(lines.get(2)).as(why).contains("init=/usr/local/sbin/banger-init", "banger.ip=" + TestGuest.GUEST_IP);
        assertThat(lines).as(why).contains(".ssh");
        assertThat(lines.getLast()).as(why).isEqualTo("0");
    }

    private ImageInfo pull(String repo, TestImage image) {
        registry.push(repo, "v1", image);
        return images.pull(new ImageApi.PullParams(registry.host() + "/" + repo + ":v1", repo, null, null), ctx("image.pull"));
    }

    private OperationContext ctx(String kind) {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), kind, "test", false, e -> { });
    }
}
