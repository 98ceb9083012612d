package dev.banger.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.VmStatsApi.Sample;
import dev.banger.core.api.VmStatsApi.Stats;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rates and the table of {@code banger vm stats}, from two hand-made samples. */
class VmStatsCommandTest {

    private static final long MIB = 1024 * 1024;
    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");

    @Test
    void ratesAreCounterDeltasOverTheTimeBetweenSamples() {
        Sample then = running("web", T0, 1_000_000_000L, 10 * MIB, 20 * MIB, 1 * MIB, 2 * MIB);
        Sample now = running("web", T0.plusMillis(2000), 2_500_000_000L, 14 * MIB, 40 * MIB, 3 * MIB, 4 * MIB);

        VmStatsCommand.Rates r = VmStatsCommand.Rates.between(then, now);

        assertThat(r.cpuPercent()).as("1.5 s of CPU in 2 s").isEqualTo(75.0);
        assertThat(r.blockRead()).isEqualTo(2.0 * MIB);
        assertThat(r.blockWrite()).isEqualTo(10.0 * MIB);
        assertThat(r.netRx()).isEqualTo(1.0 * MIB);
        assertThat(r.netTx()).isEqualTo(1.0 * MIB);
    }

    @Test
    void aCounterThatWentDownCountsAsNothingNotNegative() {
        Sample then = running("web", T0, 9_000_000_000L, 10 * MIB, 20 * MIB, 1 * MIB, 2 * MIB);
        Sample restarted = running("web", T0.plusSeconds(1), 100_000_000L, 0, 0, 0, 0);

        VmStatsCommand.Rates r = VmStatsCommand.Rates.between(then, restarted);

        assertThat(r.cpuPercent()).isZero();
        assertThat(r.blockWrite()).isZero();
        assertThat(r.netRx()).isZero();
    }

    @Test
    void tableShowsDockerLikeColumnsDashesForStoppedAndNewVms() {
        Sample webThen = running("web", T0, 0, 0, 0, 0, 0);
        Sample webNow = running("web", T0.plusSeconds(1), 500_000_000L, 4 * MIB, 8 * MIB, 2 * MIB, 1 * MIB);
        Sample idle = new Sample("idle", "stopped", T0.plusSeconds(1), 0, 2, 0, 512 * MIB, null, null, 0, 0);
        Sample fresh = running("fresh", T0.plusSeconds(1), 1, 1, 1, 1, 1);

        String table = VmStatsCommand.table(new Stats(List.of(webThen)), new Stats(List.of(webNow, idle, fresh)));

        List<String> lines = table.lines().toList();
        assertThat(lines.getFirst()).isEqualTo(
                "NAME   STATE    CPU %   MEM USAGE / LIMIT  MEM %   NET I/O (RX / TX)  BLOCK I/O (READ / WRITE)");
        assertThat(lines.get(1)).isEqualTo("web    running  50.00%  128M / 256M        50.00%  2M/s / 1M/s        4M/s / 8M/s");
        assertThat(lines.get(2)).as("stopped: dashes").isEqualTo("idle   stopped  -       -                  -       -                  -");
        assertThat(lines.get(3)).as("no earlier sample: no rates yet")
                .isEqualTo("fresh  running  -       128M / 256M        50.00%  -                  -");
    }

    private static Sample running(String name, Instant at, long cpuNanos, long read, long written, long rx, long tx) {
        return new Sample(name, "running", at, cpuNanos, 1, 128 * MIB, 256 * MIB, read, written, rx, tx);
    }
}
