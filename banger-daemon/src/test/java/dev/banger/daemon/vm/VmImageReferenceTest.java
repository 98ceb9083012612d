package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.KernelApi;
import dev.banger.core.api.VmApi;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.image.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm create --image REF} with an OCI reference, as a new user types it twice: the first
 * create pulls the image (named by the reference, {@code debian-12}), the second reuses it. No VM
 * boots ({@code --no-start}): this is the image resolution of create.
 */
class VmImageReferenceTest {

    @TempDir
    Path dir;

    @Test
    void aSecondCreateWithTheSameReferenceReusesTheImageTheFirstPulled() throws Exception {
        try (VmRig rig = new VmRig(dir.resolve("banger"), Duration.ofSeconds(5));
             TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            TestImage image = TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                    .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).gzip()), MediaTypes.OCI_LAYER_GZIP);
            registry.push("library/debian", "12", image);
            registry.push("other/debian", "12", image);
            Path kernel = Files.createDirectories(dir.resolve("kernel"));
            Files.writeString(kernel.resolve("vmlinuz"), "bzImage");
            rig.images.importKernel(new KernelApi.KernelImportParams("k", kernel.toString(), null, null), rig.ctx("kernel.import"));
            String ref = registry.host() + "/library/debian:12";

            VmInfo first = rig.vms.create(noStart("first", ref), rig.ctx("vm.create"));
            VmInfo second = rig.vms.create(noStart("second", ref), rig.ctx("vm.create"));

            assertThat(rig.images.list()).singleElement().satisfies(i -> {
                assertThat(i.name()).isEqualTo("debian-12");
                assertThat(i.source()).isEqualTo("oci:" + ref);
                assertThat(i.kernelName()).isEqualTo("k");
            });
            ImageInfo pulled = rig.images.show("debian-12");
            assertThat(List.of(first.imageId(), second.imageId())).containsOnly(pulled.id());
            assertThat(rig.progress.stream().filter(p -> p.contains("pull image " + ref))).as("pulled once").hasSize(1);

            // Another repository whose pull takes the same name: refused, saying how to get both.
            String other = registry.host() + "/other/debian:12";
            assertThatThrownBy(() -> rig.vms.create(noStart("third", other), rig.ctx("vm.create")))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                    .hasMessageContaining("image 'debian-12', the name a pull of " + other + " takes, already exists")
                    .hasMessageContaining("banger image pull " + other + " --name NAME");
            assertThat(rig.vms.list()).extracting(VmInfo::name).containsExactlyInAnyOrder("first", "second");
        }
    }

    private static VmApi.CreateParams noStart(String name, String image) {
        return new VmApi.CreateParams(name, image, "k", 1, "256", "256M", true, null, null);
    }
}
