package dev.banger.core.api;

import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.INT_OR_ZERO;
import static dev.banger.core.api.WireType.LONG;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.rpc.Methods;
import java.time.Instant;
import java.util.List;

/**
 * {@code vm.stats}: raw, ever-growing counters per VM with the time they were read; a client
 * computes rates from two samples (docs/rpc.md).
 */
public final class VmStatsApi {

    private VmStatsApi() {
    }

    /** {@code names} empty or absent: every running VM. */
    public record StatsParams(List<String> names) {
    }

    /**
     * One VM's counters. Network bytes are the guest's view (its tap's counters swapped: what the
     * host's tap receives, the guest sent). A stopped VM has zeros; a counter the hypervisor does
     * not report (Firecracker's disks) is null.
     *
     * @param cpuNanos          CPU time the VMM process used since it started (all its threads)
     * @param memoryBytes       the VMM process's resident memory
     * @param memoryLimitBytes  the guest's configured memory
     */
    public record Sample(String name, String state, Instant sampledAt, long cpuNanos, int vcpu, long memoryBytes,
                         long memoryLimitBytes, Long blockReadBytes, Long blockWriteBytes, long netRxBytes, long netTxBytes) {

        public boolean running() {
            return "running".equals(state);
        }
    }

    /** The VMs asked about, in the order asked (all running VMs: oldest first). */
    public record Stats(List<Sample> vms) {
    }

    static final Shape<StatsParams> STATS_PARAMS = Shape.of(StatsParams.class, v -> new StatsParams(v.next()))
            .optional("names", listOf(STRING), StatsParams::names);

    static final Shape<Sample> SAMPLE = Shape.named("vm_stats", Sample.class, v -> new Sample(v.next(), v.next(), v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, Sample::name)
            .field("state", STRING, Sample::state)
            .field("sampled_at", INSTANT, Sample::sampledAt)
            .field("cpu_nanos", LONG_OR_ZERO, Sample::cpuNanos)
            .field("vcpu", INT_OR_ZERO, Sample::vcpu)
            .field("memory_bytes", LONG_OR_ZERO, Sample::memoryBytes)
            .field("memory_limit_bytes", LONG_OR_ZERO, Sample::memoryLimitBytes)
            .field("block_read_bytes", LONG, Sample::blockReadBytes)
            .field("block_write_bytes", LONG, Sample::blockWriteBytes)
            .field("net_rx_bytes", LONG_OR_ZERO, Sample::netRxBytes)
            .field("net_tx_bytes", LONG_OR_ZERO, Sample::netTxBytes);

    static final Shape<Stats> STATS_RESULT = Shape.of(Stats.class, v -> new Stats(v.next()))
            .field("vms", listOf(SAMPLE), Stats::vms);

    public static final RpcMethod<StatsParams, Stats> STATS = RpcMethod.untracked(Methods.VM_STATS, STATS_PARAMS, STATS_RESULT);
}
