package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.VmRows;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a VM name or id prefix picks a VM: literally, and never one of several (no VM boots here). */
class VmReferenceTest {

    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    @TempDir
    Path dir;
    VmRig rig;

    @BeforeEach
    void open() {
        rig = new VmRig(dir, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        rig.close();
    }

    @Test
    void deleteOfAWildcardDeletesNothing() {
        addVm("only", "ab12cd34ef560001");

        for (String ref : new String[] {"%", "_", "a_12", "ab1%"}) {
            assertThatThrownBy(() -> rig.vms.delete(ref, rig.ctx("vm.delete")))
                    .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                    .hasMessageContaining("VM '" + ref + "' not found");
        }
        assertThat(rig.store.vms().list()).map(VmInfo::name).containsExactly("only");
        assertThat(rig.vms.show("ab12").name()).isEqualTo("only");
    }

    @Test
    void aPrefixOfSeveralIdsIsAmbiguousNotMissing() {
        addVm("one", "ab12cd34ef560001");
        addVm("two", "ab12cd34ef560002");

        assertThatThrownBy(() -> rig.vms.delete("ab12", rig.ctx("vm.delete")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                .hasMessageContaining("VM id prefix 'ab12' is ambiguous")
                .hasMessageContaining("one (ab12cd34ef560001)").hasMessageContaining("two (ab12cd34ef560002)");
        assertThat(rig.store.vms().list()).hasSize(2);
        assertThat(rig.vms.show("ab12cd34ef560002").name()).isEqualTo("two");
    }

    private void addVm(String name, String id) {
        rig.store.write(c -> {
            if (ImageRows.byName(c, "img").isEmpty()) {
                ImageRows.insert(c, new ImageInfo("img0000000000000", "img", "test", null, null, "amd64", null,
                        "/nonexistent/rootfs.ext4", null, null, null, false, 1, T0));
            }
            VmRows.insert(c, new VmInfo(id, name, VmInfo.CREATED, "img0000000000000", "img", 1, 256, 1L << 30, null, null,
                    false, true, null, T0, T0, null));
            return null;
        });
    }
}
