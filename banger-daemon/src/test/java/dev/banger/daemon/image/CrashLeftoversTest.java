package dev.banger.daemon.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.Layout;
import dev.banger.core.api.KernelApi;
import dev.banger.core.config.Config;
import dev.banger.core.model.KernelInfo;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.KernelRows;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a daemon SIGKILLed mid-publish, mid-delete or mid-download leaves, and the startup sweep
 * ({@link ImageService#removeLeftovers}) that removes it, keeping everything a row names.
 */
class CrashLeftoversTest {

    @TempDir
    Path dir;
    Store store;
    Layout layout;
    ImageService images;
    Path prepared;

    @BeforeEach
    void open() throws Exception {
        Config config = Config.under(dir.resolve("banger"));
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
        prepared = Files.createDirectories(dir.resolve("kernel"));
        Files.writeString(prepared.resolve("vmlinuz"), "bzImage bytes");
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aKernelDirWhoseRowNeverCommittedIsRemovedAndTheNameCanBeImportedAgain() throws Exception {
        KernelInfo kept = importKernel("kept");
        KernelInfo cut = importKernel("cut");
        store.write(c -> { // the state a SIGKILL between the publish's rename and its commit leaves
            KernelRows.delete(c, cut.id());
            return null;
        });

        images.removeLeftovers();

        assertThat(Path.of(cut.dir())).doesNotExist();
        assertThat(Path.of(kept.vmlinuzPath())).exists();
        assertThat(importKernel("cut").name()).as("re-import of the name works").isEqualTo("cut");
    }

    @Test
    void anImageDirNoRowNamesIsRemovedButNotFilesThatAreNotBangers() throws Exception {
        Path halfPublished = Files.createDirectories(layout.imagesDir().resolve("0123456789abcdef"));
        Files.writeString(halfPublished.resolve("rootfs.ext4"), "disk");
        Path foreign = Files.writeString(layout.imagesDir().resolve("README"), "not an image dir");

        images.removeLeftovers();

        assertThat(halfPublished).doesNotExist();
        assertThat(foreign).exists();
    }

    @Test
    void partFilesOfDownloadsCutByAKillAreRemovedAndCompleteBlobsKept() throws Exception {
        Path blobs = Files.createDirectories(layout.downloadCacheDir().resolve("blobs/sha256"));
        String hex = "a".repeat(64);
        Path blob = Files.writeString(blobs.resolve(hex), "complete");
        Path part = Files.writeString(blobs.resolve("b".repeat(64) + ".part"), "half");
        Path partTmp = Files.writeString(blobs.resolve("c".repeat(64) + ".part.tmp"), "half");
        Path kernels = Files.createDirectories(layout.kernelCacheDir());
        Path deb = Files.writeString(kernels.resolve("d".repeat(64) + ".deb"), "package");
        Path debPart = Files.writeString(kernels.resolve("e".repeat(64) + ".deb.part"), "half");

        images.removeLeftovers();

        assertThat(part).doesNotExist();
        assertThat(partTmp).doesNotExist();
        assertThat(debPart).doesNotExist();
        assertThat(blob).exists();
        assertThat(deb).exists();
    }

    private KernelInfo importKernel(String name) {
        OperationContext ctx = new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "kernel.import", "test", false, e -> { });
        return images.importKernel(new KernelApi.KernelImportParams(name, prepared.toString(), "6.1.0-test", "debian"), ctx);
    }
}
