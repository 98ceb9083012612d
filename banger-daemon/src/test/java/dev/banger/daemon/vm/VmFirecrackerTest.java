package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.core.config.FirecrackerSettings;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.hypervisor.AccelerationProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hypervisor = "firecracker"}, jailed, through the VM service on a host whose KVM cannot run
 * guests (this one: PVM, no vmx/svm): the create gets through root disk, work disk and a tap owned by
 * the jail's uid and gid (the only tap an unprivileged Firecracker may open), the launch refuses with
 * the reason, and every step is undone. (The driver's boot itself is
 * FirecrackerDriverTest's, against the contract double: no Firecracker runs here.)
 */
class VmFirecrackerTest {

    @TempDir
    Path dir;

    @Test
    void aJailedFirecrackerCreateWithoutUsableKvmGetsATapOwnedByTheJailThenFailsAtLaunchAndLeavesNothing() throws IOException {
        Assumptions.assumeFalse(AccelerationProbe.forHost(dir).probe().isKvm(), "this host's KVM runs guests");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path firecracker = Files.writeString(bin.resolve("firecracker"), "#!/bin/sh\nexit 1\n");
        Path jailer = Files.writeString(bin.resolve("jailer"), "#!/bin/sh\nexit 1\n");
        for (Path p : List.of(firecracker, jailer)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (VmRig rig = VmRig.withBusybox(dir, vm -> vm.withHypervisor("firecracker", vm.qemuBin())
                .withFirecracker(new FirecrackerSettings(firecracker.toString(), jailer.toString(), true, 4242, 4343)))) {
            Assumptions.assumeTrue(rig.kernel.vmlinuxPath() != null, "the test kernel has no extracted vmlinux");
            List<String> tapOwners = new ArrayList<>();
            rig.vms = rig.newService(parts -> parts.withBootPlan((boot, standard) -> {
                List<BootStep> steps = new ArrayList<>(standard);
                steps.add(steps.indexOf(steps.stream().filter(st -> st.name().equals("network")).findFirst().orElseThrow()) + 1,
                        new BootStep() {
                            @Override
                            public String name() {
                                return "look at the tap";
                            }

                            @Override
                            public void run(BootContext b) throws IOException {
                                JsonNode tun = new ObjectMapper().readTree(rig.runner.run("ip", "-d", "-j", "link", "show", b.tap())
                                        .stdout()).get(0).path("linkinfo").path("info_data");
                                tapOwners.add(tun.path("user").asText() + ":" + tun.path("group").asText());
                            }
                        });
                return steps;
            }));

            assertThatThrownBy(() -> rig.vms.create(VmRig.create("fc", "bb"), rig.ctx("vm.create")))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                    .hasMessageContaining("Firecracker needs KVM")
                    .hasMessageContaining("hypervisor = \"qemu\"");

            assertThat(tapOwners).as("the tap's owner when the launch began").containsExactly("4242:4343");
            VmInfo row = rig.store.vms().list().getFirst();
            assertThat(row.state()).isEqualTo(VmInfo.ERROR);
            assertThat(rig.progress).anyMatch(p -> p.contains("launch"));
            assertThat(rig.taps()).as("the tap made for it").isEmpty();
            assertThat(VmRig.hypervisorProcesses(rig.layout.vmsDir())).isEmpty();
            Path vmDir = rig.layout.vmsDir().resolve(row.id());
            if (Files.exists(vmDir)) {
                try (Stream<Path> files = Files.list(vmDir)) {
                    assertThat(files.map(p -> p.getFileName().toString()).toList()).as("disks and handles undone")
                            .doesNotContain("root.ext4", "root.qcow2", "work.ext4", "handles.json", "fc.sock");
                }
            }
        }
    }
}
