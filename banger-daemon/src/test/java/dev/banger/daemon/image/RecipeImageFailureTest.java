package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.KernelApi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.core.config.DebianSources;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.testing.TestDebianMirror;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in debian-bookworm image when its build cannot finish: an unreachable mirror fails
 * naming the mirror and the config key, a cancel while debootstrap is installing packages (with
 * /proc and /sys mounted in its tree) ends it at once; either way no image row, nothing in the
 * images dir, no staging dir, no mount and no process left.
 */
class RecipeImageFailureTest {

    @TempDir
    Path dir;
    Store store;
    ImageService images;
    Layout layout;
    final List<String> stages = new CopyOnWriteArrayList<>();

    private void open(Config config) {
        TestKernelDeb.requireTools();
        layout = Layout.of(config);
        store = Store.open(layout.database());
        images = new ImageService(store, new CommandRunner(), layout, config, Clock.systemUTC());
        images.importKernel(new KernelApi.KernelImportParams("k", null, null, null, TestKernelDeb.require().toString()), ctx());
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private OperationContext ctx() {
        return new Operations(store, Clock.systemUTC()).begin(Operations.newOpId(), "image.pull", "test", false,
                e -> stages.add((String) e.get("stage")));
    }

    @Test
    void anUnreachableMirrorFailsNamingItAndLeavesNothing() {
        open(Config.under(dir.resolve("banger")).withDebian(new DebianSources("http://127.0.0.1:1/debian",
                TestDebianMirror.KEYRING, null)));

        assertThatThrownBy(() -> images.pull(new ImageApi.PullParams("debian-bookworm", null, "k", null), ctx()))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageStartingWith("building image debian-bookworm: debootstrap of Debian bookworm from "
                        + "http://127.0.0.1:1/debian (config key debian_mirror) failed: ")
                .hasMessageContaining("127.0.0.1:1");
        assertLeftNothing();
    }

    @Test
    void aCancelWhileDebootstrapInstallsEndsItAndLeavesNoMountNoProcessNoFile() throws Exception {
        try (TestDebianMirror mirror = TestDebianMirror.start()) {
            open(mirror.configure(Config.under(dir.resolve("banger")), dir));
            OperationContext ctx = ctx();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> pull = pool.submit(() -> {
                    ctx.attach(Thread.currentThread());
                    return images.pull(new ImageApi.PullParams("debian-bookworm", null, "k", null), ctx);
                });
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (!stages.contains("debootstrap: unpacking packages") && !pull.isDone() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(stages).as("debootstrap reached its second stage").contains("debootstrap: unpacking packages");
                assertThat(mountsUnder(dir)).as("debootstrap's /proc is in its own mount namespace, not ours").isEmpty();
                long t0 = System.nanoTime();
                ctx.cancel();
                assertThatThrownBy(() -> pull.get(30, TimeUnit.SECONDS)).cause()
                        .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
                System.out.printf("recipe cancel: ended in %d ms%n", Duration.ofNanos(System.nanoTime() - t0).toMillis());
            } finally {
                pool.shutdownNow();
            }
        }
        assertLeftNothing();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString())))
                .as("no debootstrap, dpkg or chroot working in the staging dir").isEmpty();
    }

    private void assertLeftNothing() {
        assertThat(images.list()).isEmpty();
        assertThat(layout.imagesDir()).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
        assertThat(layout.stagingDir()).satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
        assertThat(layout.cacheDir().resolve("rootfs")).satisfiesAnyOf(d -> assertThat(d).doesNotExist(),
                d -> assertThat(d).isEmptyDirectory());
    }

    private static List<String> mountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(l -> l.contains(dir.toString())).toList();
    }
}
