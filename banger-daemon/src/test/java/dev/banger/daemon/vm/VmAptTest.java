package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.image.testing.TestDebianMirror;
import dev.banger.daemon.image.testing.TestGuestImages;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.image.testing.TestRegistry;
import dev.banger.daemon.network.dns.TestUpstreamDns;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apt-get update} in a Debian guest with {@code --nat}: its resolv.conf names bangerd, which
 * forwards {@code deb.debian.org} to the host's resolver (a test server at the address the host's
 * resolv.conf names), answered with the tests' signed Debian mirror, served at an address of the
 * test's network namespace that is not the bridge's.
 */
class VmAptTest {

    private static final String MIRROR_ADDRESS = "198.51.100.80";

    @TempDir
    Path dir;

    @Test
    void aNatGuestRunsAptGetUpdateAgainstTheMirrorByName() throws Exception {
        TestKernelDeb.requireTools();
        TestKernelDeb.require();
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"));
             VmRig rig = new VmRig(dir.resolve("banger"), Duration.ofSeconds(150))) {
            rig.runner.run("ip", "addr", "replace", MIRROR_ADDRESS + "/32", "dev", "lo");
            try (TestDebianMirror mirror = TestDebianMirror.start(InetAddress.getByName(MIRROR_ADDRESS));
                 TestUpstreamDns upstream = TestUpstreamDns.atHostResolver(rig.runner,
                         Map.of("deb.debian.org", (Inet4Address) InetAddress.getByName(MIRROR_ADDRESS)))) {
                rig.importKernel();
                rig.pull(registry, "debian", TestGuestImages.debianImage());
                VmInfo vm = rig.vms.create(new VmApi.CreateParams("apt", "debian", null, 1, "512", "256M", false, true, null),
                        rig.ctx("vm.create"));

                String port = mirror.url().substring(mirror.url().lastIndexOf(':') + 1);
                String keyring = Base64.getEncoder().encodeToString(Files.readAllBytes(TestDebianMirror.KEYRING));
                ExecResult update = rig.ssh(vm, String.join("\n",
                        "set -e",
                        "rm -f /etc/apt/sources.list.d/* && mkdir -p /etc/apt/keyrings",
                        "echo " + keyring + " | base64 -d > /etc/apt/keyrings/banger-test.gpg",
                        "echo 'deb [signed-by=/etc/apt/keyrings/banger-test.gpg] http://deb.debian.org:" + port
                                + "/ bookworm main' > /etc/apt/sources.list",
                        "timeout 150 apt-get -q update"), Duration.ofSeconds(180));

                assertThat(update.exitCode()).as(update.stdout() + update.stderr()).isZero();
                assertThat(update.stdout()).contains("deb.debian.org");
                assertThat(mirror.requests()).as("apt fetched the index from the mirror, by name").contains("/dists/bookworm/InRelease");
                rig.vms.delete("apt", rig.ctx("vm.delete"));
            }
        }
    }
}
