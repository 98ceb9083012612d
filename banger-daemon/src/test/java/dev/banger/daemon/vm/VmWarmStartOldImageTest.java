package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.image.rootfs.GuestInjector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image made by a banger from before clones (its guest init has no identity agent) under warm
 * start: its template build is refused, so no create of it waits for an identity that never comes;
 * its VMs boot, and no further build is queued for it.
 */
class VmWarmStartOldImageTest {

    private static final Duration BUILD_WAIT = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    @Test
    void anImageWithoutTheIdentityAgentGetsNoTemplateAndItsVmsBoot() throws Exception {
        try (VmRig rig = VmRig.withBusybox(dir, v -> v.withWarmStart(true))) {
            ImageInfo image = rig.store.images().find("bb").orElseThrow();
            withoutIdentityAgent(rig, Path.of(image.rootfsPath()));

            VmInfo first = rig.vms.create(VmRig.create("first", "bb"), rig.ctx("vm.create"));
            assertThat(first.templateId()).isNull();
            awaitTemplateBuildOver(rig);
            assertThat(rig.vms.snapshots(null, true)).as("no template of an image whose clones could not take an identity").isEmpty();
            assertThat(rig.vms.listWithTemplates()).extracting(VmInfo::name).as("the build's hidden VM is gone").containsExactly("first");

            long t0 = System.nanoTime();
            VmInfo second = rig.vms.create(VmRig.create("second", "bb"), rig.ctx("vm.create"));
            System.out.printf("create after the refused build: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            assertThat(second.templateId()).as("it boots").isNull();
            assertThat(rig.vms.listWithTemplates()).extracting(VmInfo::name).as("no second build queued for the image")
                    .containsExactlyInAnyOrder("first", "second");
            assertThat(rig.ssh(second, "hostname", Duration.ofSeconds(30)).stdout().strip()).isEqualTo("second");
        }
    }

    /** Replaces the image's guest init with today's minus its identity agent, as an older banger made it. */
    private static void withoutIdentityAgent(VmRig rig, Path rootfs) throws Exception {
        String init = "/" + GuestInjector.INIT_PATH;
        String current = rig.runner.run("debugfs", "-R", "cat " + init, rootfs.toString()).stdout();
        String older = current.lines().filter(l -> !l.startsWith("( identity_agent"))
                .map(l -> l.replace("banger.identity", "banger.none")).collect(Collectors.joining("\n", "", "\n"));
        assertThat(older).doesNotContain("banger.identity");
        Path file = Files.writeString(Files.createTempFile(rig.layout.stateDir(), "init", ""), older, StandardCharsets.UTF_8);
        for (String request : new String[] {"rm " + init, "write " + file + " " + init, "sif " + init + " mode 0100755"}) {
            rig.runner.run(Command.of("debugfs", "-w", "-R", request, rootfs.toString()));
        }
        Files.delete(file);
    }

    /** Until the template build queued by the first create has started and ended. */
    private static void awaitTemplateBuildOver(VmRig rig) throws InterruptedException {
        long deadline = System.nanoTime() + BUILD_WAIT.toNanos();
        boolean seen = false;
        while (System.nanoTime() < deadline) {
            boolean building = rig.vms.listWithTemplates().stream().anyMatch(v -> v.name().startsWith("tpl-"));
            seen |= building;
            if (seen && !building) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the template build did not start and end within " + BUILD_WAIT.toSeconds() + " s");
    }
}
