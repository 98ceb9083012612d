package dev.banger.daemon.image.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.banger.daemon.image.oci.MediaTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class TestRegistryTest {

    @Test
    void aMissingToolFailsNamingThePackagesOrSkipsForNonRoot() throws IOException {
        Throwable t = catchThrowable(() -> TestRegistry.requireTool("banger-no-such-tool"));

        boolean root = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        assertThat(t).isInstanceOf(root ? AssertionFailedError.class : TestAbortedException.class)
                .hasMessageContaining("banger-no-such-tool is not installed; install it with: apt-get install -y docker-registry apache2-utils");
    }

    @Test
    void closeStopsTheRegistryProcess(@TempDir Path dir) {
        long pid;
        try (TestRegistry registry = TestRegistry.start(dir)) {
            pid = registry.pid();
            String digest = registry.push("a/b", "v1", List.of(new byte[] {1, 2, 3}), MediaTypes.OCI_LAYER_TAR, MediaTypes.OCI_MANIFEST);
            assertThat(digest).startsWith("sha256:");
            assertThat(ProcessHandle.of(pid)).isPresent();
        }
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    }
}
