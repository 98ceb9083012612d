package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.cli.commands.RootCommand;
import dev.banger.core.api.VmStatsApi;
import dev.banger.core.api.VmStatsApi.Sample;
import dev.banger.core.api.VmStatsApi.Stats;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.ops.Operations;
import dev.banger.daemon.rpc.MethodTable;
import dev.banger.daemon.rpc.PeerPolicy;
import dev.banger.daemon.rpc.RpcServer;
import dev.banger.daemon.rpc.Wire;
import dev.banger.daemon.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code banger vm stats} against a daemon whose vm.stats hands out counters that grow by the
 * same amount each call, one second apart: the CLI's one table shows those rates.
 */
class VmStatsCliTest {

    private static final long MIB = 1024 * 1024;
    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");

    @TempDir
    Path dir;
    Store store;
    RpcServer server;
    final AtomicInteger calls = new AtomicInteger();
    final List<List<String>> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        store = Store.open(dir.resolve("banger.db"));
        MethodTable methods = new MethodTable().add(VmStatsApi.STATS, (p, ctx) -> {
            asked.add(p.names() == null ? List.of() : p.names());
            if (p.names() != null && p.names().contains("ghost")) {
                throw BangerException.notFound("VM 'ghost' not found");
            }
            int n = calls.incrementAndGet();
            List<Sample> vms = new ArrayList<>();
            // Per second: a quarter of a core, 3 MiB received, 1 MiB sent, 2 MiB read, 6 MiB written.
            vms.add(new Sample("web", "running", T0.plusSeconds(n), n * 250_000_000L, 2, 300 * MIB, 1024 * MIB,
                    n * 2 * MIB, n * 6 * MIB, n * 3 * MIB, n * MIB));
            if (p.names() != null && p.names().contains("db")) {
                vms.add(new Sample("db", "stopped", T0.plusSeconds(n), 0, 1, 0, 512 * MIB, null, null, 0, 0));
            }
            return new Stats(vms);
        });
        server = new RpcServer(dir.resolve("t.sock"), methods, new Operations(store, Clock.systemUTC()), PeerPolicy.forThisProcess(),
                Wire.mapper(), Duration.ofSeconds(5), 16, RpcServer.STREAM_WAIT);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    @Test
    void noStreamPrintsOneTableOfRatesFromTwoSamples() {
        CliRun r = run("vm", "stats", "--no-stream", "web", "db");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(calls).as("two samples").hasValue(2);
        assertThat(asked).allSatisfy(names -> assertThat(names).containsExactly("web", "db"));
        assertThat(r.out().lines().toList()).containsExactly(
                "NAME  STATE    CPU %   MEM USAGE / LIMIT  MEM %   NET I/O (RX / TX)  BLOCK I/O (READ / WRITE)",
                "web   running  25.00%  300M / 1G          29.30%  3M/s / 1M/s        2M/s / 6M/s",
                "db    stopped  -       -                  -       -                  -");
    }

    @Test
    void noNamesAsksForEveryRunningVm() {
        CliRun r = run("vm", "stats", "--no-stream");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(asked).allSatisfy(names -> assertThat(names).isEmpty());
        assertThat(r.out()).contains("web   running  25.00%");
    }

    @Test
    void jsonPrintsTheDaemonsSampleAsIs() throws Exception {
        CliRun r = run("--json", "vm", "stats", "--no-stream", "web");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(calls).as("a raw sample needs no second one").hasValue(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(r.out());
        @SuppressWarnings("unchecked")
        Map<String, Object> web = ((List<Map<String, Object>>) json.get("vms")).getFirst();
        assertThat(web).containsEntry("name", "web").containsEntry("cpu_nanos", 250_000_000)
                .containsEntry("block_write_bytes", (int) (6 * MIB)).containsEntry("sampled_at", T0.plusSeconds(1).toString());
    }

    @Test
    void anUnknownVmIsAnErrorNamingIt() {
        CliRun r = run("vm", "stats", "--no-stream", "web", "ghost");

        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("VM 'ghost' not found");
        assertThat(r.out()).isEmpty();
    }

    private CliRun run(String... args) {
        return CliRun.run(Map.of(RootCommand.SOCKET_ENV, dir.resolve("t.sock").toString()), args);
    }
}
