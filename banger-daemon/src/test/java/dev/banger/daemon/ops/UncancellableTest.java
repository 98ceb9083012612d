package dev.banger.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.exec.CommandRunner;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class UncancellableTest {

    @Test
    void workPastItsDeadlineIsInterruptedAndTheCallerToldSo() {
        AtomicBoolean interrupted = new AtomicBoolean();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Uncancellable.run("teardown of VM cx", Duration.ofSeconds(1), () -> {
            try {
                new CommandRunner().run("sleep", "30");
            } catch (RuntimeException e) {
                interrupted.set(Thread.currentThread().isInterrupted());
                throw e;
            }
        })).hasMessage("teardown of VM cx did not finish within 1 s; the next daemon start finishes it");
        assertThat(interrupted).as("its tool was killed by the interrupt").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void theWorksExceptionReachesTheCaller() {
        assertThatThrownBy(() -> Uncancellable.run("undo", () -> {
            throw new IllegalStateException("tap busy");
        })).isInstanceOf(IllegalStateException.class).hasMessage("tap busy");
    }
}
