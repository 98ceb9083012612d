package dev.banger.daemon.vm;

import dev.banger.core.model.VmInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frame of a VM test class: one {@link VmRig} with the busybox guest image for all of its
 * tests (the image pull and kernel import happen once), made before the class's own
 * {@code @BeforeAll} methods and closed after its {@code @AfterAll} ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BusyboxVmTest {

    /** Static: JUnit fills a static one before {@code @BeforeAll}; each test class gets its own (they run one after another). */
    @TempDir
    static Path dir;
    VmRig rig;

    @BeforeAll
    final void startRig() {
        rig = VmRig.withBusybox(dir);
    }

    @AfterAll
    final void closeRig() {
        if (rig != null) {
            rig.close();
        }
    }

    /** Deletes every VM the store holds, running ones too: what a test left for the next. */
    final void deleteAllVms() {
        for (VmInfo vm : rig.store.vms().list()) {
            rig.vms.delete(vm.id(), rig.ctx("vm.delete"));
        }
    }
}
