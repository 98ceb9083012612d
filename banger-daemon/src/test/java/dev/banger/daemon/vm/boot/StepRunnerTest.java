package dev.banger.daemon.vm.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start cancelled mid-step (its thread interrupted, as a client's hang-up does) is still undone to the end. */
class StepRunnerTest {

    @TempDir
    Path vmDir;

    private BootContext boot() {
        Instant now = Instant.now();
        VmInfo vm = new VmInfo("0123456789abcdef", "cx", VmInfo.CREATED, "img", "bb", 1, 256, 1 << 28, "172.30.0.2",
                "02:fc:ac:1e:00:02", false, true, null, now, now, null);
        return new BootContext(vm, null, null, vmDir, null, now);
    }

    /** A step that holds its thread (as waiting for SSH does) until it is interrupted. */
    private static BootStep waitsUntilCancelled(CountDownLatch entered) {
        return new BootStep() {
            public String name() {
                return "wait for ssh";
            }

            public void run(BootContext boot) throws InterruptedException {
                entered.countDown();
                Thread.sleep(Duration.ofMinutes(1));
            }
        };
    }

    @Test
    void anInterruptedRunIsUndoneByCommandsThatAreNotCutShortEvenByASecondCancel() throws Exception {
        CountDownLatch waiting = new CountDownLatch(1);
        CountDownLatch undoing = new CountDownLatch(1);
        AtomicReference<CommandResult> undoCommand = new AtomicReference<>();
        AtomicBoolean undoSawInterrupt = new AtomicBoolean();
        BootStep network = new BootStep() {
            public String name() {
                return "network";
            }

            public void run(BootContext boot) {
            }

            public void undo(BootContext boot) {
                undoSawInterrupt.set(Thread.currentThread().isInterrupted());
                undoing.countDown();
                undoCommand.set(new CommandRunner().run("sleep", "0.5")); // the cancelled run's thread is interrupted meanwhile
            }
        };
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread handler = Thread.ofPlatform().start(() -> {
            try {
                StepRunner.run(List.of(network, waitsUntilCancelled(waiting)), boot());
            } catch (Throwable t) {
                thrown.set(t);
            }
            interruptKept.set(Thread.currentThread().isInterrupted());
        });
        assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
        handler.interrupt();
        assertThat(undoing.await(10, TimeUnit.SECONDS)).isTrue();
        handler.interrupt(); // a second cancel while the undo runs
        handler.join(Duration.ofSeconds(30));

        assertThat(undoSawInterrupt).as("the undo ran on an interrupted thread").isFalse();
        assertThat(undoCommand.get()).as("the undo's command ran to the end").isNotNull();
        assertThat(undoCommand.get().ok()).isTrue();
        assertThat(thrown.get()).isInstanceOf(BangerException.class).hasMessageContaining("start cancelled during step 'wait for ssh'");
        assertThat(((BangerException) thrown.get()).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(thrown.get().getSuppressed()).isEmpty();
        assertThat(interruptKept).as("the caller still learns it was interrupted").isTrue();
        assertThat(HandlesFile.read(vmDir)).as("a complete undo leaves no record to finish").isEmpty();
    }

    @Test
    void anIncompleteUndoLeavesTheStartsRecordForTheNextReconcile() {
        BootStep network = new BootStep() {
            public String name() {
                return "network";
            }

            public void run(BootContext boot) {
                boot.tap("tap-fc-01234567");
            }

            public void undo(BootContext boot) {
                throw new IllegalStateException("cannot delete tap tap-fc-01234567");
            }
        };
        BootStep launch = new BootStep() {
            public String name() {
                return "launch";
            }

            public void run(BootContext boot) {
                throw new IllegalStateException("qemu refused");
            }
        };
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            StepRunner.run(List.of(network, launch), boot());
        } catch (BangerException e) {
            thrown.set(e);
        }
        assertThat(thrown.get()).hasMessageContaining("step 'launch' failed: qemu refused");
        assertThat(thrown.get().getSuppressed()).extracting(Throwable::getMessage).containsExactly("cannot delete tap tap-fc-01234567");
        VmHandles left = HandlesFile.read(vmDir).orElseThrow();
        assertThat(left.phase()).isEqualTo(VmHandles.FAILED);
        assertThat(left.tap()).isEqualTo("tap-fc-01234567");
    }
}
