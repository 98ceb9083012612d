package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.image.testing.TestDebianMirror;
import dev.banger.daemon.image.testing.TestKernelDeb;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start's path: on an empty state, {@code vm create} without {@code --image} builds the
 * default image debian-bookworm (debootstrap) and its kernel debian-cloud (apt) from the tests'
 * Debian mirror on loopback, once for two creates racing for it, and boots it. Every VM of the
 * image has its own machine-id and SSH host key. After the image is deleted, the next create
 * reuses the rootfs built before instead of bootstrapping again.
 */
class VmDefaultImageTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(150);

    @TempDir
    Path dir;

    @Test
    void createsWithoutAnImageBuildTheDefaultsOnceBootDebianAndEachVmIsItsOwnMachine() throws Exception {
        TestKernelDeb.requireTools();
        try (TestDebianMirror mirror = TestDebianMirror.start();
             VmRig rig = new VmRig(dir.resolve("banger"), BOOT_TIMEOUT, UnaryOperator.identity(), c -> mirror.configure(c, dir))) {
            assertThat(rig.config.vm().defaultImage()).isEqualTo("debian-bookworm");
            ExecutorService pool = Executors.newFixedThreadPool(2);
            VmInfo a;
            VmInfo b;
            long t0 = System.nanoTime();
            try {
                Future<VmInfo> first = pool.submit(() -> rig.vms.create(
                        new VmApi.CreateParams("a", null, null, 1, "512", "256M", false, null, null), rig.ctx("vm.create")));
                Future<VmInfo> second = pool.submit(() -> rig.vms.create(
                        new VmApi.CreateParams("b", null, null, 1, "512", "256M", true, null, null), rig.ctx("vm.create")));
                a = first.get();
                b = second.get();
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("default image: two creates (build + one boot) took %d s%n",
                    Duration.ofNanos(System.nanoTime() - t0).toSeconds());

            assertThat(a.state()).isEqualTo(VmInfo.RUNNING);
            assertThat(b.state()).isEqualTo(VmInfo.CREATED);
            List<ImageInfo> images = rig.images.list();
            assertThat(images).singleElement().satisfies(i -> {
                assertThat(i.name()).isEqualTo("debian-bookworm");
                assertThat(i.kernelName()).isEqualTo("debian-cloud");
                assertThat(i.source()).isEqualTo("recipe:debian-bookworm (" + mirror.url() + ")");
                assertThat(i.workSeedPath()).isNotNull();
            });
            KernelInfo kernel = rig.images.showKernel("debian-cloud");
            assertThat(kernel.source()).startsWith("apt:linux-image-cloud-amd64");
            assertThat(stages(rig, "build image debian-bookworm")).as("each create says it builds the default").hasSize(2);
            assertThat(stages(rig, "debootstrap Debian bookworm from " + mirror.url())).as("built once").hasSize(1);
            assertThat(stages(rig, "waiting for the same pull already running")).as("the other create waited").hasSize(1);
            assertThat(stages(rig, "update apt package lists")).as("the kernel pulled once").hasSize(1);
            assertThat(rig.progress).anyMatch(p -> p.contains("debootstrap: unpacking packages"))
                    .anyMatch(p -> p.contains("build rootfs.ext4")).anyMatch(p -> p.contains("wait for ssh"));

            assertThat(rig.ssh(a, "uname -r", Duration.ofSeconds(30)).stdout().strip()).isEqualTo(kernel.version());
            VmInfo bRunning = rig.vms.start("b", rig.ctx("vm.start"));
            String idA = machine(rig, a);
            String idB = machine(rig, bRunning);
            assertThat(idA).matches("[0-9a-f]{32} .+").isNotEqualTo(idB);
            assertThat(idA.split(" ")[0]).isNotEqualTo(idB.split(" ")[0]);
            assertThat(idA.split(" ", 2)[1]).as("SSH host key").isNotEqualTo(idB.split(" ", 2)[1]);

            rig.vms.delete("a", rig.ctx("vm.delete"));
            rig.vms.delete("b", rig.ctx("vm.delete"));
            rig.images.delete("debian-bookworm");
            rig.progress.clear();
            long t1 = System.nanoTime();
            VmInfo c = rig.vms.create(new VmApi.CreateParams("c", null, null, 1, "512", "256M", true, null, null), rig.ctx("vm.create"));
            System.out.printf("default image: rebuilt from the cache in %d ms%n", Duration.ofNanos(System.nanoTime() - t1).toMillis());
            assertThat(c.state()).isEqualTo(VmInfo.CREATED);
            assertThat(rig.progress).anyMatch(p -> p.contains("reuse the rootfs built earlier from " + mirror.url()))
                    .noneMatch(p -> p.contains("debootstrap"));
        }
    }

    /** The guest's machine-id and SSH host key fingerprint, one line. */
    private static String machine(VmRig rig, VmInfo vm) {
        return rig.ssh(vm, "echo $(cat /etc/machine-id) $(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)",
                Duration.ofSeconds(30)).stdout().strip();
    }

    private static List<String> stages(VmRig rig, String stage) {
        return rig.progress.stream().filter(p -> p.contains("stage=" + stage)).toList();
    }
}
