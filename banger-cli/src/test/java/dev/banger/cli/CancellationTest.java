package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.model.OperationInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.rpc.MethodTable;
import dev.banger.daemon.rpc.PeerPolicy;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.rpc.Wire;
import dev.banger.daemon.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long operations: progress reaches the caller before the answer, and a caller that hangs up
 * cancels the work, including the processes it started. Uses the real RPC server with test
 * methods, since the daemon's own long methods arrive with later issues.
 */
class CancellationTest {

    @TempDir
    Path dir;
    Store store;
    Operations ops;
    RpcServer server;
    Path socket;
    final String marker = UUID.randomUUID().toString();

    @BeforeEach
    void start() throws Exception {
        store = Store.open(dir.resolve("banger.db"));
        ops = new Operations(store, Clock.systemUTC());
        CommandRunner runner = new CommandRunner();
        MethodTable methods = new MethodTable()
                .add("test.stages", false, (p, ctx) -> {
                    for (int i = 1; i <= 3; i++) {
                        ctx.progress("stage " + i, i, 3);
                    }
                    return Map.of("done", true);
                })
                .add("test.refuse", true, (p, ctx) -> {
                    throw dev.banger.core.rpc.BangerException.badRequest("refused");
                })
                .add("test.silent", true, (p, ctx) -> {
                    Thread.sleep(30_000);
                    return null;
                })
                .add("test.chatty", true, (p, ctx) -> {
                    for (int i = 0; i < 5; i++) {
                        ctx.progress("step " + i);
                        Thread.sleep(300);
                    }
                    return Map.of("done", true);
                })
                .add("test.sleep", true, (p, ctx) -> {
                    ctx.progress("sleeping");
                    return runner.run(Command.of("sleep", "30")
                            .withEnv(Map.of("BANGER_TEST_MARKER", marker)).withTimeout(Duration.ofMinutes(1)));
                });
        socket = dir.resolve("t.sock");
        ObjectMapper mapper = Wire.mapper();
        // 1 s idle limit: shorter than test.chatty (1.5 s), so a call in flight must keep its connection; long
        // enough that a loaded machine does not reap a client between its connect and its first line.
        server = new RpcServer(socket, methods, ops, PeerPolicy.forThisProcess(), mapper, Duration.ofSeconds(1), 16, RpcServer.STREAM_WAIT);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    @Test
    void progressArrivesInOrderBeforeTheResult() {
        List<Map<String, Object>> events = new CopyOnWriteArrayList<>();
        try (RpcClient c = RpcClient.connect(socket)) {
            Object result = c.call("test.stages", null, events::add);
            assertThat(RawClient.asObject(result)).containsEntry("done", true);
        }
        assertThat(events).extracting(e -> e.get("stage")).containsExactly("stage 1", "stage 2", "stage 3");
        assertThat(events.get(2)).containsEntry("done", 3).containsEntry("total", 3).containsKey("op_id");
    }

    @Test
    void hangingUpCancelsTheOperationAndKillsItsProcess() throws Exception {
        String opId;
        try (RawClient c = new RawClient(socket)) {
            c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test.sleep\"}\n");
            Map<String, Object> progress = c.readMessage();
            assertThat(progress).containsEntry("method", "progress");
            opId = (String) RawClient.field(progress, "params").get("op_id");
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (sleepersWithMarker() == 0 && System.nanoTime() < until) {
                Thread.sleep(20); // progress is sent just before the process starts
            }
            assertThat(sleepersWithMarker()).isEqualTo(1);
        } // hang up mid-operation
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        OperationInfo op = null;
        while (System.nanoTime() < deadline) {
            op = store.listOperations(10).stream().filter(o -> o.id().equals(opId)).findFirst().orElseThrow();
            if (!op.state().equals(OperationInfo.RUNNING)) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(op.state()).isEqualTo(OperationInfo.CANCELLED);
        assertThat(sleepersWithMarker()).isZero();
    }

    @Test
    void anAnsweredClientThatHangsUpLeavesTheOperationAsItEnded() {
        for (int i = 0; i < 20; i++) {
            try (RpcClient c = RpcClient.connect(socket)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.call("test.refuse", null)).hasMessage("refused");
            } // hang up right after the answer
            OperationInfo op = store.listOperations(1).getFirst();
            assertThat(op.state()).as("recorded by the time the answer arrives, as failed, not cancelled").isEqualTo(OperationInfo.FAILED);
            assertThat(op.error()).isEqualTo("refused");
        }
    }

    @Test
    void idleConnectionsAreClosedAndDoNotCount() throws Exception {
        try (RawClient idle = new RawClient(socket)) {
            assertThat(idle.readLine(Duration.ofSeconds(5))).isNull(); // closed by the daemon, no answer owed
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.connectionCount()).isZero();
    }

    @Test
    void aSilentDaemonEndsTheCallAfterTheIdleTimeout() {
        long start = System.nanoTime();
        try (RpcClient c = RpcClient.connect(socket, Duration.ofMillis(800))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.call("test.silent", null))
                    .isInstanceOf(dev.banger.cli.client.DaemonUnreachableException.class)
                    .hasMessageContaining("said nothing about test.silent");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void progressKeepsALongCallAlive() {
        try (RpcClient c = RpcClient.connect(socket, Duration.ofMillis(800))) {
            assertThat(RawClient.asObject(c.call("test.chatty", null, e -> { }))).containsEntry("done", true);
        }
    }

    /** Counts live `sleep` processes started with this test's marker in their environment. */
    private long sleepersWithMarker() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(cmd -> cmd.endsWith("sleep")).orElse(false))
                .filter(p -> environOf(p).contains("BANGER_TEST_MARKER=" + marker))
                .count();
    }

    private static String environOf(ProcessHandle p) {
        try {
            return new String(java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ")));
        } catch (Exception e) {
            return "";
        }
    }
}
