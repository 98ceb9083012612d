package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmStatsApi.Sample;
import dev.banger.core.api.VmStatsApi.StatsParams;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.ssh.ExecResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * vm.stats on a real busybox guest: a CPU burner in the guest shows as CPU time, 20 MiB written
 * and synced show in the disk counters, data sent over SSH in the tap counters; a stopped VM reads
 * as zeros and an unknown name is an error naming it.
 */
class VmStatsTest extends BusyboxVmTest {

    private static final long MIB = 1024 * 1024;


    @Test
    void countersFollowWhatTheGuestDoes() throws InterruptedException {
        VmInfo vm = rig.vms.create(VmRig.create("busy", "bb"), rig.ctx("vm.create"));

        Sample first = sample("busy");
        assertThat(first.state()).isEqualTo("running");
        assertThat(first.memoryBytes()).as("the VMM's resident memory").isGreaterThan(16 * MIB);
        assertThat(first.memoryLimitBytes()).isEqualTo(256 * MIB);
        assertThat(first.vcpu()).isEqualTo(1);
        assertThat(first.blockReadBytes()).as("the guest booted from its disk").isPositive();

        double idle = cpuPercentOver(Duration.ofSeconds(2));
        ExecResult burn = rig.ssh(vm, "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & echo $! > /tmp/burn.pid", Duration.ofSeconds(30));
        assertThat(burn.exitCode()).as(burn.stderr()).isZero();
        double busy = cpuPercentOver(Duration.ofSeconds(2));
        rig.ssh(vm, "kill $(cat /tmp/burn.pid)", Duration.ofSeconds(30));
        assertThat(busy).as("CPU %% with a burner (idle: %.1f%%)", idle).isGreaterThan(idle + 30);

        Sample beforeWrite = sample("busy");
        ExecResult write = rig.ssh(vm, "dd if=/dev/zero of=/root/blob bs=1M count=20 && sync", Duration.ofSeconds(60));
        assertThat(write.exitCode()).as(write.stderr()).isZero();
        Sample afterWrite = sample("busy");
        assertThat(afterWrite.blockWriteBytes() - beforeWrite.blockWriteBytes()).as("bytes written to the guest's disks")
                .isGreaterThanOrEqualTo(20 * MIB);

        Sample beforeSend = sample("busy");
        ExecResult send = rig.ssh(vm, "head -c 4000000 /dev/zero", Duration.ofSeconds(60));
        assertThat(send.exitCode()).as(send.stderr()).isZero();
        Sample afterSend = sample("busy");
        assertThat(afterSend.netTxBytes() - beforeSend.netTxBytes()).as("bytes the guest sent").isGreaterThanOrEqualTo(4_000_000);
        assertThat(afterSend.netRxBytes() - beforeSend.netRxBytes()).as("bytes the guest received (the SSH request, TCP ACKs)").isPositive();

        assertThat(rig.vms.stats(new StatsParams(null)).vms()).as("no names: every running VM")
                .extracting(Sample::name).containsExactly("busy");

        assertThatThrownBy(() -> rig.vms.stats(new StatsParams(List.of("busy", "nosuchvm"))))
                .isInstanceOfSatisfying(BangerException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessageContaining("nosuchvm");

        rig.vms.stop("busy", rig.ctx("vm.stop"));
        Sample stopped = sample("busy");
        assertThat(stopped.state()).isEqualTo("stopped");
        assertThat(stopped.cpuNanos()).isZero();
        assertThat(stopped.memoryBytes()).isZero();
        assertThat(stopped.blockWriteBytes()).isNull();
        assertThat(stopped.netTxBytes()).isZero();
        assertThat(rig.vms.stats(new StatsParams(List.of())).vms()).as("no names: only running VMs").isEmpty();
    }

    private Sample sample(String name) {
        List<Sample> vms = rig.vms.stats(new StatsParams(List.of(name))).vms();
        assertThat(vms).hasSize(1);
        return vms.getFirst();
    }

    /** The VMM's CPU use over {@code window}, as {@code banger vm stats} computes it. */
    private double cpuPercentOver(Duration window) throws InterruptedException {
        Sample a = sample("busy");
        Thread.sleep(window.toMillis());
        Sample b = sample("busy");
        long wallNanos = Duration.between(a.sampledAt(), b.sampledAt()).toNanos();
        return 100.0 * (b.cpuNanos() - a.cpuNanos()) / wallNanos;
    }
}
