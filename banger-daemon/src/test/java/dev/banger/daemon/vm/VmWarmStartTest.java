package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmApi;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.SshKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm start on real guests (QEMU under TCG, busybox + dropbear): the first create of an image
 * boots and a template appears in the background, hidden from the listings; the next create of the
 * same image and machine starts from it with its own identity and answers SSH; another machine
 * size boots and gets a template of its own; {@code --cold} and {@code warm_start = false} boot
 * ({@code --cold} with {@code --from-snapshot} is refused); deleting the image deletes its templates
 * and their files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmWarmStartTest {

    private static final Duration TEMPLATE_WAIT = Duration.ofSeconds(180);

    @TempDir
    static Path dir;
    VmRig rig;

    @BeforeAll
    void setUp() {
        rig = VmRig.withBusybox(dir, v -> v.withWarmStart(true));
    }

    @AfterAll
    void tearDown() {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void theSecondCreateOfAnImageStartsFromItsTemplateWithItsOwnIdentity() throws Exception {
        VmInfo booted = rig.vms.create(VmRig.create("first", "bb"), rig.ctx("vm.create"));
        assertThat(booted.templateId()).as("the first create of an image boots").isNull();
        SnapshotInfo template = awaitTemplate(t -> t.memoryMib() == 256);
        assertThat(template.vmDeleted()).as("its hidden VM is gone once the template is kept").isTrue();
        assertThat(rig.vms.snapshots(null)).as("vm snapshot list hides templates").isEmpty();
        assertThat(rig.vms.listWithTemplates()).as("no hidden VM left after the build").extracting(VmInfo::name)
                .containsExactly("first");
        assertThat(rig.taps()).as("the template VM's tap is gone").hasSize(1);
        try (Stream<Path> vmDirs = Files.list(rig.layout.vmsDir())) {
            assertThat(vmDirs).as("the template VM's dir is gone").hasSize(1);
        }

        long t0 = System.nanoTime();
        VmInfo warm = rig.vms.create(VmRig.create("second", "bb"), rig.ctx("vm.create"));
        long warmMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("warm create: %d ms%n", warmMillis);
        assertThat(warm.templateId()).as("started from the template").isEqualTo(template.id());
        assertThat(rig.vms.show("second").templateId()).isEqualTo(template.id());
        assertThat(warm.guestIp()).isNotEqualTo(booted.guestIp());
        // Ready meant only sshd's banner at the new address: this first command right after create is the clone's first
        // handshake, and it must pass against the host key bangerd pinned from the identity answer, which it leaves as it was.
        List<String> pinned = knownHostsOf(warm);
        assertThat(pinned).as("the clone's host key is pinned before any SSH").hasSize(1);
        String[] who = ssh(warm, "hostname; ip -4 -o addr show eth0 | awk '{print $4}'; cat /etc/machine-id 2>/dev/null || echo none")
                .split("\n");
        assertThat(knownHostsOf(warm)).as("the pinned key was the one the clone showed").isEqualTo(pinned);
        assertThat(who[0]).as("its own hostname, not the template's").isEqualTo("second");
        assertThat(who[1]).as("its own address").startsWith(warm.guestIp() + "/");
        String[] firstWho = ssh(booted, "hostname; cat /etc/machine-id 2>/dev/null || echo none").split("\n");
        assertThat(firstWho[0]).isEqualTo("first");
        assertThat(who[2]).as("its own machine-id").isNotEqualTo(firstWho[1]);

        VmInfo bigger = rig.vms.create(new VmApi.CreateParams("bigger", "bb", null, 1, "320", "256M", false, null, null),
                rig.ctx("vm.create"));
        assertThat(bigger.templateId()).as("another memory size: no template fits, it boots").isNull();
        SnapshotInfo biggerTemplate = awaitTemplate(t -> t.memoryMib() == 320);
        assertThat(biggerTemplate.id()).isNotEqualTo(template.id());
        assertThat(rig.vms.snapshots(null, true)).as("each machine size keeps its template").hasSize(2);

        VmInfo cold = rig.vms.create(new VmApi.CreateParams("cold", "bb", null, 1, "256", "256M", false, null, null, null, null, true),
                rig.ctx("vm.create"));
        assertThat(cold.templateId()).as("--cold boots").isNull();
        VMService noWarm = rig.newService(rig.config.withVm(rig.config.vm().withWarmStart(false)), rig.network, rig.runner,
                parts -> parts);
        VmInfo off = noWarm.create(VmRig.create("off", "bb"), rig.ctx("vm.create"));
        assertThat(off.templateId()).as("warm_start = false boots").isNull();
        noWarm.delete("off", rig.ctx("vm.delete"));

        assertThatThrownBy(() -> rig.vms.create(new VmApi.CreateParams("both", null, null, null, null, null, null, null, null, null,
                template.name(), true), rig.ctx("vm.create"))).isInstanceOfSatisfying(BangerException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("--cold does not go with --from-snapshot");
                });
        assertThat(rig.vms.listWithTemplates()).extracting(VmInfo::name).doesNotContain("both");

        for (String vm : List.of("first", "second", "bigger", "cold")) {
            rig.vms.delete(vm, rig.ctx("vm.delete"));
        }
        rig.vms.deleteTemplatesOf("bb");
        rig.images.delete("bb");
        assertThat(rig.vms.snapshots(null, true)).as("templates go with their image").isEmpty();
        try (Stream<Path> left = Files.list(rig.layout.stateDir().resolve("snapshots"))) {
            assertThat(left).as("and their files").isEmpty();
        }
    }

    /** The template once its build is over (its hidden VM removed). */
    private SnapshotInfo awaitTemplate(Predicate<SnapshotInfo> which) throws InterruptedException {
        long deadline = System.nanoTime() + TEMPLATE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            var found = rig.vms.snapshots(null, true).stream().filter(which).findFirst();
            boolean building = rig.vms.listWithTemplates().stream().anyMatch(v -> v.name().startsWith("tpl-"));
            if (found.isPresent() && !building) {
                return found.get();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no template within " + TEMPLATE_WAIT.toSeconds() + " s");
    }

    /** banger's known_hosts lines for the VM's address. */
    private List<String> knownHostsOf(VmInfo vm) throws IOException {
        Path knownHosts = SshKeys.ensure(rig.layout.stateDir().resolve("ssh"), rig.runner).knownHosts();
        return Files.readAllLines(knownHosts).stream()
                .filter(l -> List.of(l.split(" ")[0].split(",")).contains(vm.guestIp())).toList();
    }

    private String ssh(VmInfo vm, String command) {
        var r = rig.ssh(vm, command, Duration.ofSeconds(30));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return r.stdout().strip();
    }
}
