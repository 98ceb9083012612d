package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.testing.SmallFilesystem;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm create} on a state dir (a small loop-mounted ext4) with no room for the VM's disks:
 * it fails naming the path and the disk, leaves no row, VM dir, tap or QEMU process, and the same
 * create boots once space is back. One real busybox guest under QEMU.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmDiskFullTest {

    @TempDir
    static Path dir;
    SmallFilesystem disk;
    VmRig rig;

    @BeforeAll
    void setUp() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "mounting a loop filesystem needs root");
        disk = SmallFilesystem.mount(dir, 384);
        rig = VmRig.withBusybox(disk.root());
    }

    @AfterAll
    void tearDown() throws Exception {
        if (rig != null) {
            rig.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void createWithNoRoomForItsDisksFailsNamingThemAndLeavesNoVmThenBootsOnceFreed() throws Exception {
        for (long leave : new long[] {64 << 10, 1 << 20}) {
            disk.fill(leave);
            try {
                assertThatThrownBy(() -> rig.vms.create(VmRig.create("full", "bb"), rig.ctx("vm.create")))
                        .isInstanceOfSatisfying(NoSpaceException.class, e -> {
                            System.out.println(e.getMessage());
                            assertThat(e.getMessage()).startsWith("no space left on " + disk.root()).containsPattern(
                                    "while making the (root|work) disk.* of VM full");
                        });
            } finally {
                disk.free();
            }
            assertThat(rig.vms.list()).as("no VM row; the service answers").isEmpty();
            assertThat(rig.layout.vmsDir().toFile().list()).as("VM dirs").isEmpty();
            assertThat(rig.network.taps()).as("taps").isEmpty();
            assertThat(rig.hypervisorProcesses()).as("QEMU processes").isEmpty();
        }
        VmInfo vm = rig.vms.create(VmRig.create("full", "bb"), rig.ctx("vm.create"));
        assertThat(vm.state()).as("the same create once space is back").isEqualTo(VmInfo.RUNNING);
        assertThat(rig.ssh(vm, "echo up", Duration.ofSeconds(30)).stdout()).isEqualTo("up\n");
    }
}
