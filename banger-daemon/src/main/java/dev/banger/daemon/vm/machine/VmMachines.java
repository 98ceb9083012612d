package dev.banger.daemon.vm.machine;

import dev.banger.core.Layout;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.image.BootableImage;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Uncancellable;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.SnapshotRows;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.store.VmRows;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.CloneDisksStep;
import dev.banger.daemon.vm.boot.HandlesFile;
import dev.banger.daemon.vm.boot.IdentityLinkStep;
import dev.banger.daemon.vm.boot.IdentityStep;
import dev.banger.daemon.vm.boot.LaunchStep;
import dev.banger.daemon.vm.boot.NetworkStep;
import dev.banger.daemon.vm.boot.ReadinessStep;
import dev.banger.daemon.vm.boot.RootDiskStep;
import dev.banger.daemon.vm.boot.StepRunner;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.capability.Capabilities;
import dev.banger.daemon.vm.disk.RootDisks;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.snapshot.files.CloneOrigin;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import dev.banger.daemon.vm.ssh.GuestSsh;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every part of the vm service shares about its machines: the VM rows looked up by
 * reference, the per-VM locks, the running VMs' handles and the paused set, the reservation
 * (phase 2 of create), the boot flow and the teardown. The service's front and its parts
 * (snapshots, warm start) each hold this one instance.
 *
 * <p>Locks: {@code createVMMu} only around the reservation (name check, address, row insert);
 * a per-VM lock ({@link #locks()}) around every state change of that VM, boot included.
 */
public final class VmMachines {

    private static final Logger LOG = LoggerFactory.getLogger(VmMachines.class);
    /** How long a guest's SSH may take to accept a connection when banger asks it to power off or settle. */
    public static final Duration DIAL_TIMEOUT = Duration.ofSeconds(2);
    /** The agent polls its port every half second; applying includes making a host key (seconds under TCG). */
    static final Duration IDENTITY_TIMEOUT = Duration.ofSeconds(60);

    /** The steps of one start, given the standard ones (the service's boot plan). */
    public interface StepPlan extends BiFunction<BootContext, List<BootStep>, List<BootStep>> {}

    private final Store store;
    private final Layout layout;
    private final HostNetwork network;
    private final ImageService images;
    private final Clock clock;
    private final Duration bootTimeout;
    private final Supplier<HypervisorDriver> driver;
    private final Supplier<GuestSsh> ssh;
    private final RootDisks rootDisks;
    private final SnapshotFiles snapshotFiles;
    private final Capabilities capabilities;
    private final StepPlan bootPlan;
    private final Orphans orphans;
    private final ReentrantLock createVMMu = new ReentrantLock();
    private final VmLocks locks = new VmLocks();
    /** Handles of running VMs; handles.json is written first, so this never knows more than the disk. */
    private final ConcurrentMap<String, VmHandles> running = new ConcurrentHashMap<>();
    /** Running VMs whose vCPUs are stopped; learnt again from the hypervisor when a restarted daemon adopts them. */
    private final Set<String> paused = ConcurrentHashMap.newKeySet();

    public VmMachines(Store store, Layout layout, HostNetwork network, ImageService images, Clock clock, Duration bootTimeout,
                      Supplier<HypervisorDriver> driver, Supplier<GuestSsh> ssh, RootDisks rootDisks, SnapshotFiles snapshotFiles,
                      Capabilities capabilities, StepPlan bootPlan, Orphans orphans) {
        this.store = store;
        this.layout = layout;
        this.network = network;
        this.images = images;
        this.clock = clock;
        this.bootTimeout = bootTimeout;
        this.driver = driver;
        this.ssh = ssh;
        this.rootDisks = rootDisks;
        this.snapshotFiles = snapshotFiles;
        this.capabilities = capabilities;
        this.bootPlan = bootPlan;
        this.orphans = orphans;
    }

    /** The per-VM locks: every state change of a VM happens under its own. */
    public VmLocks locks() {
        return locks;
    }

    /** The host's hypervisor driver, made at first use. */
    public HypervisorDriver driver() {
        return driver.get();
    }

    /** SSH to the guests with banger's key, made at first use. */
    public GuestSsh ssh() {
        return ssh.get();
    }

    // ---- reservation and boot ----

    /**
     * Phase 2: milliseconds under createVMMu — name re-check, next free address, the {@code created}
     * row; a clone's snapshot must still be there (its delete checks for clones in one transaction too).
     * {@code hidden}: a warm-start template's VM (see {@link VmRows#insert(java.sql.Connection, VmInfo, boolean)}).
     */
    public VmInfo reserveVM(String name, ImageInfo image, int vcpu, int memoryMib, long diskBytes, boolean nat, boolean isolate,
                            String fromSnapshot, boolean hidden) {
        long t0 = System.nanoTime();
        createVMMu.lock();
        try {
            VmInfo vm = store.write(c -> {
                if (VmRows.byName(c, name).isPresent()) {
                    throw new BangerException(ErrorCode.ALREADY_EXISTS, "a VM named " + name + " already exists");
                }
                if (fromSnapshot != null && !SnapshotRows.exists(c, fromSnapshot)) {
                    throw BangerException.notFound("snapshot " + fromSnapshot + " was deleted meanwhile");
                }
                Set<Inet4Address> taken = new HashSet<>();
                for (String ip : VmRows.guestIps(c)) {
                    taken.add(HostNetwork.storedAddress(ip));
                }
                Inet4Address ip = network.allocate(taken);
                var now = clock.instant();
                VmInfo row = new VmInfo(Ids.newId(), name, VmInfo.CREATED, image.id(), image.name(), vcpu, memoryMib, diskBytes,
                        ip.getHostAddress(), HostNetwork.macFor(ip), nat, isolate, null, now, now,
                        null, fromSnapshot);
                VmRows.insert(c, row, hidden);
                return row;
            });
            LOG.info("reserveVM {} ({}): {} us", vm.name(), vm.guestIp(), (System.nanoTime() - t0) / 1000);
            return vm;
        } finally {
            createVMMu.unlock();
        }
    }

    /** Phase 3: the boot flow, under this VM's lock only. A failure leaves the row in {@code error} with the reason. */
    public VmInfo startVMLocked(VmInfo vm, OperationContext ctx) {
        ImageInfo image = store.images().find(vm.imageId())
                .orElseThrow(() -> BangerException.notFound("VM " + vm.name() + "'s image is gone"));
        return startVMLocked(vm, images.bootable(image), ctx);
    }

    /** As above, with the image a create resolved. */
    public VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx) {
        return startVMLocked(vm, image, ctx, null, null);
    }

    /** A clone's first start, going on from the snapshot {@code clone}. */
    public VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx, CloneOrigin clone) {
        Path dir = FileModes.privateDir(vmDir(vm.id())); // its disks are the guest's: no one else reads them
        return startVMLocked(new BootContext(vm, image.image(), image.kernel(), dir, ctx, clock.instant(), clone), null);
    }

    /**
     * {@code restoreFrom}: a saved state the guest goes on from instead of booting, or null;
     * {@code afterLaunch}: a step run right after the launch (a warm-start template's lower CPU priority), or null.
     */
    public VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx, Path restoreFrom, BootStep afterLaunch) {
        Path dir = FileModes.privateDir(vmDir(vm.id())); // its disks are the guest's: no one else reads them
        return startVMLocked(new BootContext(vm, image.image(), image.kernel(), dir, ctx, clock.instant(), restoreFrom), afterLaunch);
    }

    private VmInfo startVMLocked(BootContext boot, BootStep afterLaunch) {
        VmInfo vm = boot.vm();
        Path dir = boot.vmDir();
        try {
            List<BootStep> steps = standardSteps(boot);
            if (afterLaunch != null) {
                steps.add(steps.indexOf(steps.stream().filter(LaunchStep.class::isInstance).findFirst().orElseThrow()) + 1,
                        afterLaunch);
            }
            StepRunner.run(bootPlan.apply(boot, steps), boot);
        } catch (RuntimeException e) {
            removeIfEmpty(dir);
            store.vms().setState(vm.id(), VmInfo.ERROR, e.getMessage(), clock.instant());
            throw e;
        }
        VmHandles h = boot.handles().running();
        HandlesFile.write(dir, h);
        running.put(vm.id(), h);
        store.vms().setState(vm.id(), VmInfo.RUNNING, null, clock.instant());
        return withRuntime(byId(vm.id()));
    }

    /**
     * Root disk and tap, the capabilities' host side (work disk, ...), the hypervisor, SSH, then their
     * after-start side. A clone's first start makes its disks over the snapshot's instead, and gets
     * its identity right after the launch.
     */
    private List<BootStep> standardSteps(BootContext boot) {
        HypervisorDriver d = driver.get();
        List<BootStep> steps = new ArrayList<>();
        steps.add(boot.clone() != null ? new CloneDisksStep(rootDisks, snapshotFiles) : new RootDiskStep(rootDisks, d.readsQcow2()));
        steps.add(new NetworkStep(network, d));
        steps.addAll(capabilities.prepareHostSteps(boot.vm()));
        IdentityLinkStep link = new IdentityLinkStep(d, IDENTITY_TIMEOUT);
        if (boot.clone() != null) {
            steps.add(link);
        }
        steps.add(new LaunchStep(d, network));
        if (boot.clone() != null) {
            steps.add(new IdentityStep(link, network, ssh.get(), clock, IDENTITY_TIMEOUT));
        }
        steps.add(new ReadinessStep(ssh.get(), d, bootTimeout));
        steps.addAll(capabilities.afterStartSteps(boot.vm()));
        return steps;
    }

    // ---- running and paused ----

    /** The handles of a running VM this daemon started or adopted, or null. */
    public VmHandles handles(String vmId) {
        return running.get(vmId);
    }

    /** The running VMs' handles by VM id, as they are now. */
    public Map<String, VmHandles> runningHandles() {
        return Map.copyOf(running);
    }

    public boolean isPaused(String vmId) {
        return paused.contains(vmId);
    }

    /** Stops the guest's vCPUs; memory, disks and network stay. */
    public void pauseLocked(VmInfo vm, VmHandles h) {
        driver.get().pause(h.machine());
        paused.add(vm.id());
    }

    public void resumeLocked(VmInfo vm, VmHandles h) {
        driver.get().resume(h.machine());
        paused.remove(vm.id());
    }

    /** A VM a restarted daemon found still running: its handles kept, its pause state asked, its capabilities told. */
    public void adopt(VmInfo vm, VmHandles h) {
        running.put(vm.id(), h);
        adoptPauseState(vm, h);
        capabilities.adopt(vm, h);
    }

    /** A paused VM stays paused across a daemon restart; only its hypervisor knows, so it is asked. */
    private void adoptPauseState(VmInfo vm, VmHandles h) {
        try {
            if (driver.get().isPaused(h.machine())) {
                paused.add(vm.id());
                LOG.info("VM {} is paused", vm.name());
            }
        } catch (RuntimeException e) {
            LOG.warn("VM {}: cannot tell whether it is paused ({}); reported as running", vm.name(), e.getMessage());
        }
    }

    // ---- teardown ----

    /** The teardown, then {@code stopped}; an incomplete one leaves {@code error} with what is left, for delete to retry. */
    public void teardownToStopped(VmInfo vm, VmHandles h) {
        try {
            teardown(vm, h);
        } catch (RuntimeException e) {
            store.vms().setState(vm.id(), VmInfo.ERROR, e.getMessage(), clock.instant());
            throw e;
        }
        store.vms().setState(vm.id(), VmInfo.STOPPED, null, clock.instant());
    }

    /** handles.json of a VM; empty when there is none, or it cannot be read (the teardown then goes by name). */
    public Optional<VmHandles> recordedHandles(VmInfo vm) {
        try {
            return HandlesFile.read(vmDir(vm.id()));
        } catch (UncheckedIOException e) {
            LOG.warn("VM {}: unreadable handles ({}); tearing down by name", vm.name(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Ends the process (whatever the handles say, plus anything still using the VM's dir), runs every
     * capability's cleanup and frees the tap. Runs to the end whatever fails, then reports it all; a
     * cancel of the operation does not cut it short (see {@link Uncancellable}).
     */
    public void teardown(VmInfo vm, VmHandles h) {
        Uncancellable.run("teardown of VM " + vm.name(), () -> teardownNow(vm, h));
    }

    private void teardownNow(VmInfo vm, VmHandles h) {
        String vmId = vm.id();
        List<Exception> problems = new ArrayList<>();
        Path dir = vmDir(vmId);
        if (h != null && h.machine() != null) {
            try {
                if (driver.get().adopt(h.machine()).isPresent()) {
                    driver.get().kill(h.machine());
                }
            } catch (RuntimeException e) {
                problems.add(e);
            }
        }
        try {
            orphans.kill(dir);
        } catch (RuntimeException e) {
            problems.add(e);
        }
        problems.addAll(capabilities.cleanup(vm, h));
        try {
            network.deleteTap(h != null && h.tap() != null ? h.tap() : HostNetwork.tapName(vmId));
        } catch (RuntimeException e) {
            problems.add(e);
        }
        running.remove(vmId);
        paused.remove(vmId);
        if (problems.isEmpty()) {
            HandlesFile.delete(dir); // else it keeps naming what is left, for delete or the next reconcile to retry
        } else {
            BangerException failure = new BangerException(ErrorCode.OPERATION_FAILED, "teardown of VM " + vm.name() + " was incomplete: "
                    + problems.getFirst().getMessage());
            problems.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    // ---- rows ----

    public VmHandles requireRunning(VmInfo vm) {
        VmHandles h = running.get(vm.id());
        if (!vm.running() || h == null) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + vm.name() + " is not running (state " + vm.state() + ")");
        }
        return h;
    }

    /** Running and not paused: what needs the guest to answer (SSH, workspaces, ports). */
    public void requireAnswering(VmInfo vm) {
        requireRunning(vm);
        if (paused.contains(vm.id())) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + vm.name() + " is paused: resume it first (banger vm resume "
                    + vm.name() + ")");
        }
    }

    /** The row with what only the daemon knows: the process, tap and disks of a running VM, and whether it is paused. */
    public VmInfo withRuntime(VmInfo vm) {
        VmHandles h = running.get(vm.id());
        if (h == null || h.machine() == null) {
            return vm;
        }
        VmInfo reported = paused.contains(vm.id()) ? vm.withState(VmInfo.PAUSED) : vm;
        return reported.withRuntime(new VmInfo.Runtime(h.machine().driver(), h.machine().accel(), h.machine().pid(), h.tap(),
                String.valueOf(h.machine().consoleLog()), h.rootDisk(), h.workDisk(), h.startedAt()));
    }

    /** A VM by name, id or unambiguous id prefix. */
    public VmInfo find(String ref) {
        List<VmInfo> vms = store.vms().matching(required(ref));
        if (vms.size() > 1) {
            throw BangerException.badRequest("VM id prefix '" + ref + "' is ambiguous: it matches "
                    + vms.stream().map(v -> v.name() + " (" + v.id() + ")").collect(Collectors.joining(", "))
                    + "; give more of the id, or the name");
        }
        return vms.stream().findFirst().orElseThrow(() -> BangerException.notFound("VM '" + ref + "' not found"));
    }

    /** A row by id, hidden ones included: what the service itself re-reads after a change. */
    public VmInfo byId(String id) {
        return store.vms().byId(id).orElseThrow(() -> BangerException.notFound("VM " + id + " is gone"));
    }

    public Path vmDir(String id) {
        return layout.vmsDir().resolve(id);
    }

    public static String required(String ref) {
        if (ref == null || ref.isBlank()) {
            throw BangerException.badRequest("a VM name or id is required");
        }
        return ref;
    }

    public static void removeIfEmpty(Path dir) {
        try (var children = Files.list(dir)) {
            if (children.findAny().isEmpty()) {
                Files.delete(dir);
            }
        } catch (IOException ignored) {
            // Gone already, or not empty: both fine.
        }
    }
}
