package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.daemon.network.HostTaps;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.testing.SmallFilesystem;
import dev.banger.daemon.ops.Client;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.vm.ssh.ExecResult;
import dev.banger.core.api.WorkspaceApi;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm create} on a state dir (a small loop-mounted ext4) with no room for the VM's disks:
 * it fails naming the path and the disk, leaves no row, VM dir, tap or QEMU process, and the same
 * create boots once space is back. Then a workspace ship into that guest with its /root full.
 * One real busybox guest under QEMU.
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
        disk.fill(64 << 10); // not even room for a qcow2 overlay
        try {
            assertThatThrownBy(() -> rig.vms.create(VmRig.create("full", "bb"), rig.ctx("vm.create")))
                    .isInstanceOfSatisfying(NoSpaceException.class, e -> assertThat(e.getMessage())
                            .startsWith("no space left on " + rig.layout.vmsDir()).contains("while making the root disk of VM full"));
        } finally {
            disk.free();
        }
        assertThat(rig.vms.list()).as("no VM row; the service answers").isEmpty();
        assertThat(rig.layout.vmsDir().toFile().list()).as("VM dirs").isEmpty();
        assertThat(HostTaps.all(rig.runner)).as("taps").isEmpty();
        assertThat(rig.hypervisorProcesses()).as("QEMU processes").isEmpty();

        VmInfo vm = rig.vms.create(VmRig.create("full", "bb"), rig.ctx("vm.create"));
        assertThat(vm.state()).as("the same create once space is back").isEqualTo(VmInfo.RUNNING);
        shipIntoAFullGuestDiskFailsNamingTheGuestPathAndTheVmStaysUsable(vm);
    }

    /** The guest's /root (its work disk) full: the ship fails naming the guest path; freed, the same ship lands. */
    private void shipIntoAFullGuestDiskFailsNamingTheGuestPathAndTheVmStaysUsable(VmInfo vm) throws Exception {
        Path tar = shipment();
        // fallocate writes nothing, so the host's copy of the disk stays small. Halving sizes until
        // 4 KiB does not fit: root's reserved blocks and ext4's own reserve make "free" a guess.
        ExecResult fill = rig.ssh(vm, "s=268435456; i=0; while [ $s -ge 4096 ]; do"
                + " if fallocate -l $s /root/fill.$i 2>/dev/null; then i=$((i+1)); else s=$((s/2)); fi; done; echo filled",
                Duration.ofSeconds(120));
        assertThat(fill.stdout()).as(fill.stderr()).isEqualTo("filled\n");

        assertThatThrownBy(() -> rig.vms.prepareWorkspace(shipParams(), shipContext(tar)))
                .isInstanceOfSatisfying(NoSpaceException.class, e -> assertThat(e.getMessage())
                        .startsWith("no space left on /root/ws in VM full while shipping the workspace")
                        .contains("No space left on device", "banger vm exec full -- df -h /root/ws"));
        assertThat(rig.ssh(vm, "ls -a /root", Duration.ofSeconds(30)).stdout()).as("nothing half-shipped")
                .doesNotContain("banger-ship", "ws");

        assertThat(rig.ssh(vm, "rm /root/fill.* && echo up", Duration.ofSeconds(30)).stdout()).isEqualTo("up\n");
        rig.vms.prepareWorkspace(shipParams(), shipContext(tar));
        assertThat(rig.ssh(vm, "wc -c < /root/ws/big", Duration.ofSeconds(30)).stdout().strip()).isEqualTo("1048576");
    }

    private static WorkspaceApi.PrepareParams shipParams() {
        return new WorkspaceApi.PrepareParams("full", "tree", "/root/ws", "full", null, null, null, 1L);
    }

    /** A work tree as the CLI streams it: a 1 MiB file, the manifest, the end marker last. */
    private Path shipment() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/.git/banger"));
        Files.write(dir.resolve("src/big"), new byte[1 << 20]);
        Files.writeString(src.resolve("manifest.new"), "head x\n");
        Files.writeString(src.resolve("shipped"), "");
        Path tar = dir.resolve("ship.tar");
        rig.runner.run(Command.of("tar", "-cf", tar.toString(), "-C", dir.resolve("src").toString(),
                "big", ".git/banger/manifest.new", ".git/banger/shipped"));
        return tar;
    }

    /** An operation whose client uploads {@code tar}, as the CLI's stream connection would. */
    private OperationContext shipContext(Path tar) {
        Client.Streams streams = new Client.Streams() {
            @Override
            public InputStream upload(String token) {
                try {
                    return Files.newInputStream(tar);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public OutputStream download(String token) {
                throw new UnsupportedOperationException(token);
            }
        };
        return new Operations(rig.store, Clock.systemUTC()).begin(Operations.newOpId(), "vm.workspace.prepare",
                new Client(ProcessHandle.current().pid(), 0, 0, streams), false, e -> { });
    }
}
