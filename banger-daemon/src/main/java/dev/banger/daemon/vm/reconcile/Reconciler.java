package dev.banger.daemon.vm.reconcile;

import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.machine.Orphans;
import dev.banger.daemon.vm.machine.VmMachines;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import dev.banger.daemon.vm.warm.WarmStart;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a daemon start does about the VMs the previous daemon left: each row's VM adopted or
 * settled (a template build's hidden VM removed), then the sweeps of what no row accounts for.
 */
public final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final VmMachines machines;
    private final WarmStart warm;
    private final Store store;
    private final HostNetwork network;
    private final Orphans orphans;
    private final SnapshotFiles snapshotFiles;
    private final Path vmsDir;
    private final Clock clock;

    public Reconciler(VmMachines machines, WarmStart warm, Store store, HostNetwork network, Orphans orphans, SnapshotFiles snapshotFiles,
                      Path vmsDir, Clock clock) {
        this.machines = machines;
        this.warm = warm;
        this.store = store;
        this.network = network;
        this.orphans = orphans;
        this.snapshotFiles = snapshotFiles;
        this.vmsDir = vmsDir;
        this.clock = clock;
    }

    /**
     * After a daemon (re)start: adopt every VM whose recorded process still runs and is the right
     * process; tear down what is left of the others (an interrupted start included) and settle their
     * rows. Then the sweeps of what no row accounts for: VM dirs, taps, firewall rules.
     */
    public void run() {
        List<VmInfo> vms = store.vms().listAll();
        Set<String> hidden = store.vms().hiddenIds();
        for (VmInfo vm : vms) {
            try {
                if (hidden.contains(vm.id())) {
                    warm.settleHiddenVm(vm);
                    continue;
                }
                reconcile(vm);
            } catch (RuntimeException e) {
                LOG.error("VM {}: reconcile failed: {}", vm.name(), e.getMessage(), e);
            }
        }
        new VmDirSweep(vmsDir, orphans::kill).run(vms.stream().map(VmInfo::id).collect(Collectors.toSet()));
        Map<String, VmHandles> running = machines.runningHandles();
        new OrphanTapSweep(network).run(running.values().stream().map(VmHandles::tap).filter(t -> t != null).collect(Collectors.toSet()));
        new FirewallRuleSweep(network).run(Set.copyOf(running.keySet()));
        snapshotFiles.sweepStaging();
        snapshotFiles.sweepUnlisted(store.snapshots().list(null, true).stream().map(SnapshotInfo::id).collect(Collectors.toSet()));
    }

    private void reconcile(VmInfo vm) {
        Path dir = machines.vmDir(vm.id());
        Optional<VmHandles> h = machines.recordedHandles(vm);
        if (h.isPresent() && VmHandles.RUNNING.equals(h.get().phase()) && vm.running() && h.get().machine() != null
                && machines.driver().adopt(h.get().machine()).isPresent()) {
            machines.adopt(vm, h.get());
            LOG.info("VM {} is still running (pid {}): adopted", vm.name(), h.get().machine().pid());
            return;
        }
        if (h.isEmpty() && !vm.running()) {
            return;
        }
        machines.teardown(vm, h.orElse(null));
        if (h.isPresent() && VmHandles.FAILED.equals(h.get().phase())) {
            h.get().made().forEach(f -> FileTrees.deleteQuietly(Path.of(f)));
            VmMachines.removeIfEmpty(dir);
            if (!VmInfo.ERROR.equals(vm.state())) { // the daemon died between the undo and the row's update
                store.vms().setState(vm.id(), VmInfo.ERROR, "its start failed as bangerd stopped; start it again", clock.instant());
            }
            LOG.warn("VM {}: finished the undo of its failed start, which the previous daemon left incomplete", vm.name());
            return; // the row keeps the start's own reason
        }
        boolean interruptedStart = h.isPresent() && VmHandles.STARTING.equals(h.get().phase());
        if (interruptedStart) {
            if (VmInfo.CREATED.equals(vm.state())) {
                // Its first start: everything in the dir (disks, console log, QEMU's pid file and socket) is that start's.
                FileTrees.deleteQuietly(dir);
                if (vm.fromSnapshot() != null) { // a clone that never started is no VM (as when its create fails)
                    store.vms().delete(vm.id());
                    LOG.warn("VM {}: its clone from a snapshot was cut short by the previous daemon's exit; removed", vm.name());
                    return;
                }
            } else {
                h.get().made().forEach(f -> FileTrees.deleteQuietly(Path.of(f)));
                VmMachines.removeIfEmpty(dir);
            }
            store.vms().setState(vm.id(), VmInfo.ERROR, "bangerd stopped while this VM was starting; start it again",
                    clock.instant());
            LOG.warn("VM {}: its start was cut short by the previous daemon's exit; cleaned up", vm.name());
        } else {
            // The reason stays on the row: a VM that ran before the restart must say why it no longer does.
            store.vms().setState(vm.id(), VmInfo.STOPPED, "its hypervisor process ended while bangerd was not running",
                    clock.instant());
            LOG.warn("VM {}: its process is gone; cleaned up and marked stopped", vm.name());
        }
    }
}
