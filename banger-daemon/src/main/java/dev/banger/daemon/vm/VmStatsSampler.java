package dev.banger.daemon.vm;

import dev.banger.core.api.VmStatsApi.Sample;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.hypervisor.MachineUsage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One {@code vm.stats} sample of a VM: its VMM process's CPU time and memory and its disks'
 * counters from the hypervisor driver, its tap's byte counters from {@code /proc/self/net/dev}
 * (the daemon's own network namespace, where the taps are; {@code /sys/class/net} shows the
 * namespace sysfs was mounted in, which need not be ours). Counters only: rates are the client's.
 */
final class VmStatsSampler {

    private static final Path NET_DEV = Path.of("/proc/self/net/dev");

    private final Supplier<HypervisorDriver> driver;
    private final Clock clock;

    VmStatsSampler(Supplier<HypervisorDriver> driver, Clock clock) {
        this.driver = driver;
        this.clock = clock;
    }

    /** {@code handles}: the VM's while it runs, else null; a VM without a live process is sampled as zeros. */
    Sample sample(VmInfo vm, VmHandles handles) {
        long limit = vm.memoryMib() * 1024L * 1024L;
        Optional<MachineUsage> usage = handles == null || handles.machine() == null || !vm.running()
                ? Optional.empty() : driver.get().usage(handles.machine());
        if (usage.isEmpty()) {
            return new Sample(vm.name(), vm.state(), clock.instant(), 0, vm.vcpu(), 0, limit, null, null, 0, 0);
        }
        long[] tap = tapBytes(handles.tap());
        MachineUsage u = usage.get();
        // The host's tap receives what the guest sends: swapped, the counters are the guest's view, as docker shows a container's.
        return new Sample(vm.name(), vm.state(), clock.instant(), u.cpuNanos(), vm.vcpu(), u.residentBytes(), limit,
                u.blockReadBytes(), u.blockWriteBytes(), tap[1], tap[0]);
    }

    /** {rx, tx} bytes of {@code tap} as the host sees them; zeros when it is not there. */
    static long[] tapBytes(String tap) {
        if (tap == null) {
            return new long[2];
        }
        try {
            return tapBytes(Files.readAllLines(NET_DEV, StandardCharsets.US_ASCII), tap);
        } catch (IOException e) {
            return new long[2];
        }
    }

    /** From {@code /proc/net/dev}'s lines: {@code "  tap0: RXBYTES packets errs drop fifo frame compressed multicast TXBYTES ..."}. */
    static long[] tapBytes(Iterable<String> netDev, String tap) {
        for (String line : netDev) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(tap)) {
                String[] f = line.substring(colon + 1).trim().split("\\s+");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[8])};
            }
        }
        return new long[2];
    }
}
