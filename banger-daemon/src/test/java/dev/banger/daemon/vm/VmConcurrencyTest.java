package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.HandlesFile;
import dev.banger.daemon.vm.boot.VmHandles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What one VM's create holds while it runs, and what it does not: the service's seams hold a
 * create in phase 1 (image resolution) or phase 3 (a boot step) while others go ahead. Boots are
 * mostly skipped (a plan with no steps); the failing-start case runs the real steps up to QEMU.
 */
class VmConcurrencyTest extends BusyboxVmTest {

    private static final Duration PROMPTLY = Duration.ofSeconds(30);
    /** An image name the held resolver recognises; it then resolves {@code bb}. */
    private static final String HELD_IMAGE = "held";

    VMService.ImageResolver realResolver;
    final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    /** Opens whatever a test held; new for each test. */
    CountDownLatch release;

    @BeforeAll
    void setUp() {
        realResolver = rig.images::resolveOrPull;
    }

    @BeforeEach
    void nothingHeldYet() {
        release = new CountDownLatch(1);
    }

    @AfterEach
    void deleteEveryVmAndCheckNothingLeaks() {
        release.countDown(); // never leave a held create behind a failed assertion
        for (VmInfo vm : rig.store.vms().list()) {
            rig.vms.delete(vm.id(), rig.ctx("vm.delete"));
        }
        rig.vms = rig.newService();
        assertThat(rig.taps()).isEmpty();
        assertThat(rig.hypervisorProcesses()).isEmpty();
    }

    @AfterAll
    void tearDown() {
        pool.shutdownNow();
    }

    /** Makes the rig's service one with this image lookup and boot plan. */
    private void use(VMService.ImageResolver images, VMService.BootPlan plan) {
        rig.vms = rig.newService(parts -> parts.withImages(images).withBootPlan(plan));
    }

    @Test
    void aCreateWaitingForItsImageHoldsUpNoOtherCreate() throws Exception {
        CountDownLatch resolving = new CountDownLatch(1);
        use((ref, kernel, ctx) -> {
            if (!ref.equals(HELD_IMAGE)) {
                return realResolver.resolve(ref, kernel, ctx);
            }
            resolving.countDown();
            await(release);
            return realResolver.resolve("bb", kernel, ctx);
        }, (boot, standard) -> List.of());

        Future<VmInfo> a = pool.submit(() -> rig.vms.create(VmRig.create("a", HELD_IMAGE), rig.ctx("vm.create")));
        assertThat(resolving.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).as("a reached image resolution").isTrue();

        VmInfo b = promptly(() -> rig.vms.create(VmRig.create("b", "bb"), rig.ctx("vm.create")));
        assertThat(b.state()).isEqualTo(VmInfo.RUNNING);
        assertThat(a).as("a, still resolving its image").isNotDone();
        assertThat(promptly(rig.vms::list)).as("a has no row before its image is resolved").extracting(VmInfo::name)
                .containsExactly("b");

        release.countDown();
        assertThat(a.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(VmInfo.RUNNING);
        assertThat(rig.vms.list()).extracting(VmInfo::name).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aVmThatIsBootingHoldsUpNeitherAnotherCreateNorListAndShow() throws Exception {
        CountDownLatch booting = new CountDownLatch(1);
        BootStep held = new NamedStep("held boot", boot -> {
            booting.countDown();
            await(release);
        });
        use(realResolver, (boot, standard) -> boot.vm().name().equals("a") ? List.of(held) : List.of());

        Future<VmInfo> a = pool.submit(() -> rig.vms.create(VmRig.create("a", "bb"), rig.ctx("vm.create")));
        assertThat(booting.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).as("a reached its boot").isTrue();

        assertThat(promptly(() -> rig.vms.create(VmRig.create("b", "bb"), rig.ctx("vm.create"))).state()).isEqualTo(VmInfo.RUNNING);
        assertThat(promptly(rig.vms::list)).extracting(VmInfo::name, VmInfo::state)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("a", VmInfo.CREATED),
                        org.assertj.core.groups.Tuple.tuple("b", VmInfo.RUNNING));
        assertThat(promptly(() -> rig.vms.show("a")).state()).as("show of the booting VM").isEqualTo(VmInfo.CREATED);
        // A start of the booting VM waits for the boot under its lock, then finds it running.
        Future<VmInfo> secondStart = pool.submit(() -> rig.vms.start("a", rig.ctx("vm.start")));
        assertThat(a).isNotDone();

        release.countDown();
        assertThat(a.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS).state()).isEqualTo(VmInfo.RUNNING);
        assertThatThrownBy(() -> secondStart.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .hasMessageContaining("already running");
    }

    @Test
    void ofManyCreatesOfOneNameExactlyOneWins() throws Exception {
        int creators = 8;
        // Every creator passes phase 1's early name check before any reserves: the race is in phase 2.
        CyclicBarrier allResolving = new CyclicBarrier(creators);
        use((ref, kernel, ctx) -> {
            try {
                allResolving.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the creators did not all reach image resolution", e);
            }
            return realResolver.resolve(ref, kernel, ctx);
        }, (boot, standard) -> List.of());

        List<Future<VmInfo>> creates = new ArrayList<>();
        for (int i = 0; i < creators; i++) {
            creates.add(pool.submit(() -> rig.vms.create(VmRig.create("same", "bb"), rig.ctx("vm.create"))));
        }
        List<VmInfo> winners = new ArrayList<>();
        List<BangerException> losers = new ArrayList<>();
        for (Future<VmInfo> f : creates) {
            try {
                winners.add(f.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(BangerException.class);
                losers.add((BangerException) e.getCause());
            }
        }
        assertThat(winners).hasSize(1);
        assertThat(losers).hasSize(creators - 1)
                .allSatisfy(e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS))
                .allSatisfy(e -> assertThat(e).hasMessageContaining("same"));
        assertThat(rig.store.vms().list()).singleElement()
                .satisfies(vm -> assertThat(vm.id()).isEqualTo(winners.getFirst().id()));
    }

    @Test
    void aStepThatFailsUndoesItselfAndEveryEarlierStepInReverseAndLeavesTheReasonOnTheRow() {
        List<String> trail = new CopyOnWriteArrayList<>();
        AtomicReference<VmHandles> heldAtFailure = new AtomicReference<>();
        BootStep failing = new NamedStep("probe agent", boot -> {
            heldAtFailure.set(boot.handles());
            throw new IOException("agent socket refused the handshake");
        });
        // The real steps up to a launched QEMU, then one that fails before the guest is ready.
        use(realResolver, (boot, standard) -> Stream.concat(
                        standard.stream().filter(s -> !s.name().equals("wait for ssh")),
                        Stream.of(failing))
                .<BootStep>map(s -> new RecordedStep(s, trail)).toList());

        assertThatThrownBy(() -> rig.vms.create(VmRig.create("broken", "bb"), rig.ctx("vm.create")))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("probe agent").hasMessageContaining("agent socket refused the handshake");

        assertThat(trail).containsExactly(
                "run root disk", "run network", "run work disk", "run network guard", "run port forwards", "run launch", "run dns name",
                "run probe agent", "undo probe agent", "undo dns name", "undo launch", "undo port forwards", "undo network guard",
                "undo work disk", "undo network", "undo root disk");
        VmInfo vm = rig.vms.show("broken");
        assertThat(vm.state()).isEqualTo(VmInfo.ERROR);
        assertThat(vm.lastError()).contains("agent socket refused the handshake");

        VmHandles held = heldAtFailure.get();
        assertThat(held.tap()).isEqualTo(HostNetwork.tapName(vm.id()));
        assertThat(held.machine()).as("QEMU ran when the step failed").isNotNull();
        assertThat(held.made()).as("the disks this start made").hasSize(2);
        assertThat(rig.taps()).doesNotContain(held.tap());
        assertThat(rig.hypervisorProcesses()).as("QEMU, killed by the launch step's undo").isEmpty();
        Path vmDir = rig.layout.vmsDir().resolve(vm.id());
        assertThat(held.made()).allSatisfy(f -> assertThat(Path.of(f)).doesNotExist());
        assertThat(vmDir.resolve(HandlesFile.NAME)).doesNotExist();
    }

    /** {@code work} on a virtual thread, failing the test if it takes longer than {@link #PROMPTLY}. */
    private <T> T promptly(Callable<T> work) throws Exception {
        return pool.submit(work).get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(2, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the test never released the held create");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    interface StepBody {
        void run(BootContext boot) throws Exception;
    }

    /** A step made of a lambda: held or failing on purpose. */
    record NamedStep(String name, StepBody body) implements BootStep {
        @Override
        public void run(BootContext boot) throws Exception {
            body.run(boot);
        }
    }

    /** Writes each run and undo of {@code step} to {@code trail}, in the order they happen. */
    record RecordedStep(BootStep step, List<String> trail) implements BootStep {
        @Override
        public String name() {
            return step.name();
        }

        @Override
        public void run(BootContext boot) throws Exception {
            trail.add("run " + name());
            step.run(boot);
        }

        @Override
        public void undo(BootContext boot) throws Exception {
            trail.add("undo " + name());
            step.undo(boot);
        }
    }
}
