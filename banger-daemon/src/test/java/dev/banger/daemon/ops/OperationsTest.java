package dev.banger.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.OperationInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.store.StoreException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `banger daemon operations` shows while requests run and after they end. */
class OperationsTest {

    private static final Instant NOW = Instant.parse("2026-05-06T07:08:09Z");

    @TempDir
    Path dir;

    private Store store;
    private Operations ops;

    @BeforeEach
    void open() {
        store = Store.open(dir.resolve("banger.db"));
        ops = new Operations(store, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void opIdsAreTwelveHexDigitsAndDistinct() {
        assertThat(Operations.newOpId()).matches("[0-9a-f]{12}").isNotEqualTo(Operations.newOpId());
    }

    @Test
    void aTrackedOperationIsListedWhileRunningAndKeptWithItsOutcome() {
        OperationContext ctx = ops.begin("aaaaaaaaaaaa", "shutdown", "uid 0 pid 9", true, OperationContext.ProgressSink.NONE);

        assertThat(ops.list(10)).singleElement().satisfies(o -> {
            assertThat(o.state()).isEqualTo(OperationInfo.RUNNING);
            assertThat(o.peer()).isEqualTo("uid 0 pid 9");
        });
        assertThat(store.listOperations(10)).extracting(OperationInfo::state).containsExactly(OperationInfo.RUNNING);

        ops.end(ctx, null);

        assertThat(ops.list(10)).singleElement().satisfies(o -> {
            assertThat(o.state()).isEqualTo(OperationInfo.SUCCEEDED);
            assertThat(o.finishedAt()).isEqualTo(NOW);
            assertThat(o.error()).isNull();
        });
    }

    @Test
    void anUntrackedOperationIsVisibleOnlyWhileItRuns() {
        OperationContext ctx = ops.begin("bbbbbbbbbbbb", "ping", "uid 0 pid 9", false, OperationContext.ProgressSink.NONE);
        assertThat(ops.list(10)).extracting(OperationInfo::method).containsExactly("ping");

        ops.end(ctx, null);

        assertThat(ops.list(10)).isEmpty();
        assertThat(store.listOperations(10)).isEmpty();
    }

    @Test
    void failureAndCancellationAreRecordedWithTheirMessage() {
        OperationContext failed = ops.begin("cccccccccccc", "shutdown", "p", true, OperationContext.ProgressSink.NONE);
        OperationContext cancelled = ops.begin("dddddddddddd", "shutdown", "p", true, OperationContext.ProgressSink.NONE);
        OperationContext cancelledByError = ops.begin("eeeeeeeeeeee", "shutdown", "p", true, OperationContext.ProgressSink.NONE);

        ops.end(failed, new IllegalStateException("mkfs.ext4 exited with status 1"));
        cancelled.cancel();
        ops.end(cancelled, new RuntimeException("interrupted"));
        ops.end(cancelledByError, new BangerException(ErrorCode.CANCELLED, "shutdown cancelled: the client disconnected"));

        assertThat(store.listOperations(10)).extracting(OperationInfo::id, OperationInfo::state, OperationInfo::error)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("cccccccccccc", OperationInfo.FAILED, "mkfs.ext4 exited with status 1"),
                        org.assertj.core.groups.Tuple.tuple("dddddddddddd", OperationInfo.CANCELLED, "interrupted"),
                        org.assertj.core.groups.Tuple.tuple("eeeeeeeeeeee", OperationInfo.CANCELLED,
                                "shutdown cancelled: the client disconnected"));
    }

    @Test
    void anOperationThatCannotBeRecordedDoesNotLingerAsRunning() {
        // Injected failure: the store refuses this one insert.
        store.write(c -> c.createStatement().executeUpdate(
                "CREATE TRIGGER refuse BEFORE INSERT ON operations WHEN NEW.method = 'vm.create' "
                        + "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"));

        assertThatThrownBy(() -> ops.begin("ffffffffffff", "vm.create", "p", true, OperationContext.ProgressSink.NONE))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("disk I/O error");

        assertThat(ops.list(10)).as("the request was refused, so it is not running").isEmpty();
    }

    @Test
    void runningOperationsComeFirstThenHistoryNewestFirst() {
        Operations early = new Operations(store, Clock.fixed(NOW.minusSeconds(60), ZoneOffset.UTC));
        ops.end(ops.begin("000000000001", "shutdown", "p", true, OperationContext.ProgressSink.NONE), null);
        early.end(early.begin("000000000002", "shutdown", "p", true, OperationContext.ProgressSink.NONE), null);
        early.begin("000000000003", "shutdown", "p", true, OperationContext.ProgressSink.NONE);

        assertThat(early.list(10)).extracting(OperationInfo::id).containsExactly("000000000003", "000000000001", "000000000002");
        assertThat(early.list(2)).extracting(OperationInfo::id).containsExactly("000000000003", "000000000001");
    }

    @Test
    void cancelAllInterruptsRunningHandlers() throws Exception {
        OperationContext ctx = ops.begin("999999999999", "shutdown", "p", true, OperationContext.ProgressSink.NONE);
        CountDownLatch attached = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Thread handler = Thread.ofPlatform().start(() -> {
            ctx.attach(Thread.currentThread());
            attached.countDown();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertThat(attached.await(5, TimeUnit.SECONDS)).isTrue();

        ops.cancelAll();
        handler.join(5_000);

        assertThat(interrupted).isTrue();
        assertThat(ctx.isCancelled()).isTrue();
        assertThatThrownBy(ctx::checkCancelled)
                .isInstanceOf(BangerException.class)
                .hasMessage("shutdown cancelled: the client disconnected")
                .satisfies(e -> assertThat(((BangerException) e).code()).isEqualTo(ErrorCode.CANCELLED));
    }
}
