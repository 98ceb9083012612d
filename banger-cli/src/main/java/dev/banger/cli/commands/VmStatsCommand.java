package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.VmStatsApi;
import dev.banger.core.api.VmStatsApi.Sample;
import dev.banger.core.api.VmStatsApi.Stats;
import dev.banger.core.api.VmStatsApi.StatsParams;
import dev.banger.core.rpc.Json;
import dev.banger.core.units.Sizes;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code banger vm stats}: the daemon hands out counters with their sample time ({@code vm.stats});
 * rates are the difference of two samples over the time between them, so even one table waits
 * one interval for its second sample.
 */
@Command(name = "stats", description = "Show the VMs' CPU, memory, network and disk use, refreshed every second until Ctrl-C.")
public final class VmStatsCommand implements Callable<Integer> {

    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Cursor home and clear screen: each table replaces the last one on a terminal. */
    private static final String REDRAW = "\u001b[H\u001b[2J";

    private final Invocation inv;

    @Parameters(paramLabel = "VM", arity = "0..*", description = "VM names or ids; none: every running VM.")
    List<String> names = List.of();

    @Option(names = "--no-stream", description = "Print one table (or, with --json, one sample) and exit.")
    boolean noStream;

    VmStatsCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws InterruptedException {
        StatsParams params = new StatsParams(names.isEmpty() ? null : List.copyOf(names));
        PrintWriter out = inv.terminal().out();
        Stats previous = inv.call(VmStatsApi.STATS, params);
        if (inv.root().json()) {
            return printSamples(params, previous);
        }
        // The launcher tells whether stdout is a terminal; elsewhere tables follow each other, unredrawn.
        boolean redraw = Boolean.getBoolean("banger.tty.out");
        while (true) {
            Thread.sleep(INTERVAL.toMillis());
            Stats current = inv.call(VmStatsApi.STATS, params);
            out.print((redraw && !noStream ? REDRAW : "") + table(previous, current));
            out.flush();
            if (noStream) {
                return 0;
            }
            previous = current;
        }
    }

    /** --json: the daemon's samples, raw; one pretty object with --no-stream, else one line a second. */
    private int printSamples(StatsParams params, Stats first) throws InterruptedException {
        if (noStream) {
            inv.render(VmStatsApi.STATS, first, () -> { });
            return 0;
        }
        Stats current = first;
        while (true) {
            inv.terminal().println(Json.write(VmStatsApi.STATS.result().write(current)));
            Thread.sleep(INTERVAL.toMillis());
            current = inv.call(VmStatsApi.STATS, params);
        }
    }

    /** The table of {@code current}, its rates against {@code previous} (a VM new since has none yet). */
    static String table(Stats previous, Stats current) {
        Map<String, Sample> before = previous.vms().stream().collect(Collectors.toMap(Sample::name, Function.identity(), (a, b) -> b));
        Table t = new Table("NAME", "STATE", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O (RX / TX)", "BLOCK I/O (READ / WRITE)");
        for (Sample now : current.vms()) {
            Sample then = before.get(now.name());
            if (!now.running()) {
                t.row(now.name(), now.state(), null, null, null, null, null);
                continue;
            }
            Rates r = then == null || !then.running() ? null : Rates.between(then, now);
            t.row(now.name(), now.state(),
                    r == null ? null : String.format(Locale.ROOT, "%.2f%%", r.cpuPercent()),
                    Sizes.format(now.memoryBytes()) + " / " + Sizes.format(now.memoryLimitBytes()),
                    now.memoryLimitBytes() == 0 ? null : String.format(Locale.ROOT, "%.2f%%", 100.0 * now.memoryBytes() / now.memoryLimitBytes()),
                    r == null ? null : perSecond(r.netRx()) + " / " + perSecond(r.netTx()),
                    r == null || r.blockRead() == null ? null : perSecond(r.blockRead()) + " / " + perSecond(r.blockWrite()));
        }
        return t.render();
    }

    private static String perSecond(double bytes) {
        return Sizes.format(Math.round(bytes)) + "/s";
    }

    /**
     * One VM's use between two samples: CPU as a share of one host core (100% = one core busy, as
     * docker counts), the rest in bytes per second. A counter that went down (the VM restarted
     * between the samples) counts as 0.
     */
    record Rates(double cpuPercent, double netRx, double netTx, Double blockRead, Double blockWrite) {

        static Rates between(Sample then, Sample now) {
            double seconds = Math.max(1e-3, Duration.between(then.sampledAt(), now.sampledAt()).toNanos() / 1e9);
            boolean disks = then.blockReadBytes() != null && now.blockReadBytes() != null;
            return new Rates(100.0 * delta(then.cpuNanos(), now.cpuNanos()) / 1e9 / seconds,
                    delta(then.netRxBytes(), now.netRxBytes()) / seconds,
                    delta(then.netTxBytes(), now.netTxBytes()) / seconds,
                    disks ? delta(then.blockReadBytes(), now.blockReadBytes()) / seconds : null,
                    disks ? delta(then.blockWriteBytes(), now.blockWriteBytes()) / seconds : null);
        }

        private static double delta(long then, long now) {
            return Math.max(0, now - then);
        }
    }
}
