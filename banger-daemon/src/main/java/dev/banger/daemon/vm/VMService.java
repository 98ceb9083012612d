package dev.banger.daemon.vm;

import dev.banger.core.Layout;
import dev.banger.core.api.SnapshotApi.SnapshotParams;
import dev.banger.core.api.SystemApi.SshConfigInfo;
import dev.banger.core.api.VmApi.CreateParams;
import dev.banger.core.api.VmApi.DeleteParams;
import dev.banger.core.api.VmApi.ForwardParams;
import dev.banger.core.api.VmApi.ForwardsInfo;
import dev.banger.core.api.VmApi.Logs;
import dev.banger.core.api.VmApi.LogsParams;
import dev.banger.core.api.VmApi.PortsInfo;
import dev.banger.core.api.VmApi.SetParams;
import dev.banger.core.api.VmApi.SshInfo;
import dev.banger.core.api.VmStatsApi.Stats;
import dev.banger.core.api.VmStatsApi.StatsParams;
import dev.banger.core.api.WorkspaceApi.ExportInfo;
import dev.banger.core.api.WorkspaceApi.ExportParams;
import dev.banger.core.api.WorkspaceApi.ManifestInfo;
import dev.banger.core.api.WorkspaceApi.PrepareParams;
import dev.banger.core.api.WorkspaceApi.ShipRecord;
import dev.banger.core.config.Config;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.BootableImage;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.image.rootfs.GuestInjector;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.forward.PortForward;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Uncancellable;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.SnapshotRows;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.store.VmRows;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.CloneDisksStep;
import dev.banger.daemon.vm.boot.ConsoleTail;
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
import dev.banger.daemon.vm.capability.Capability;
import dev.banger.daemon.vm.capability.DnsCapability;
import dev.banger.daemon.vm.capability.ForwardCapability;
import dev.banger.daemon.vm.capability.GuardCapability;
import dev.banger.daemon.vm.capability.NatCapability;
import dev.banger.daemon.vm.capability.WorkDiskCapability;
import dev.banger.daemon.vm.disk.RootDisks;
import dev.banger.daemon.vm.disk.WorkDisks;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.hypervisor.Hypervisors;
import dev.banger.daemon.vm.hypervisor.StateSave;
import dev.banger.daemon.vm.ports.GuestPorts;
import dev.banger.daemon.vm.identity.IdentityLink;
import dev.banger.daemon.vm.snapshot.CloneOrigin;
import dev.banger.daemon.vm.snapshot.SnapshotFiles;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.SshKeys;
import dev.banger.daemon.vm.warm.TemplateBuilds;
import dev.banger.daemon.vm.warm.TemplateKey;
import dev.banger.daemon.workspace.Guest;
import dev.banger.daemon.workspace.WorkspaceService;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VM lifecycle: the three-phase create, start/stop/restart/kill/delete/set and reconcile. Its
 * peer services and its {@link Parts} come through the constructor.
 *
 * <p>Locks: {@code createVMMu} only around the reservation (name check, address, row insert);
 * a per-VM lock around every state change of that VM, boot included. Image resolution and
 * auto-pull run under neither.
 */
public final class VMService {

    private static final Logger LOG = LoggerFactory.getLogger(VMService.class);
    private static final java.time.format.DateTimeFormatter SNAPSHOT_STAMP =
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC);
    static final Duration STOP_DIAL_TIMEOUT = Duration.ofSeconds(2);
    static final Duration STOP_GRACE = Duration.ofSeconds(15);
    /** How a template guest waits for its init's start-up jobs; see {@link #settle}. */
    static final String SETTLE = "if command -v systemctl >/dev/null 2>&1; then systemctl is-system-running --wait >/dev/null 2>&1; fi; true";
    static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);
    /** The agent polls its port every half second; applying includes making a host key (seconds under TCG). */
    static final Duration IDENTITY_TIMEOUT = Duration.ofSeconds(60);
    /** sync first, so /root is on disk before the power goes; poweroff -f where no systemd would act on it. */
    static final String POWEROFF = "sync; (systemctl --no-block poweroff || poweroff -f || busybox poweroff -f) >/dev/null 2>&1 &";
    /** For a hypervisor that exits on a guest reboot but not on its poweroff (Firecracker with reboot=k). */
    static final String REBOOT = "sync; (systemctl --no-block reboot || reboot -f || busybox reboot -f) >/dev/null 2>&1 &";

    /** Phase 1's image lookup ({@link ImageService#resolveOrPull}); tests hold a create there. */
    public interface ImageResolver {
        BootableImage resolve(String ref, String kernelRef, OperationContext ctx);
    }

    /** The steps of one start, given the standard ones; tests hold a boot in phase 3 or make a step fail. */
    public interface BootPlan {
        BootPlan STANDARD = (boot, standard) -> standard;

        List<BootStep> steps(BootContext boot, List<BootStep> standard);
    }

    /**
     * What the service drives, built by {@link #forHost} for the daemon; a test passes its own
     * (a plan that holds a boot, a capability that records its hooks).
     */
    public record Parts(Supplier<HypervisorDriver> driver, Supplier<SshKeys> keys, RootDisks rootDisks, Capabilities capabilities,
                        ImageResolver images, BootPlan bootPlan, Orphans orphans, VmForwards forwards, SnapshotFiles snapshots,
                        TemplateBuilds templates) {

        /** The host's hypervisor and SSH key (each made at first use), its disks, its published ports, and every capability. */
        public static Parts forHost(Config config, Layout layout, Store store, CommandRunner runner, HostNetwork network,
                                    ImageService images) {
            Supplier<HypervisorDriver> driver = memoize(() -> Hypervisors.select(config.vm(), runner, layout.stateDir()));
            Supplier<SshKeys> keys = memoize(() -> SshKeys.ensure(layout.stateDir().resolve("ssh"), runner));
            VmForwards forwards = new VmForwards(store, network.forwards());
            List<Capability> all = new ArrayList<>(List.of(
                    new WorkDiskCapability(new WorkDisks(runner), () -> keys.get().publicKey()),
                    new NatCapability(network.nat()),
                    new GuardCapability(network.guard(), network.nat()),
                    new ForwardCapability(network.forwards(), forwards::of)));
            network.dns().ifPresent(dns -> all.add(new DnsCapability(dns)));
            return new Parts(driver, keys, new RootDisks(runner), new Capabilities(all), images::resolveOrPull, BootPlan.STANDARD,
                    new Orphans(config.vm(), runner), forwards, new SnapshotFiles(layout.stateDir().resolve("snapshots"), runner),
                    new TemplateBuilds(runner));
        }

        public Parts withCapabilities(Capabilities capabilities) {
            return new Parts(driver, keys, rootDisks, capabilities, images, bootPlan, orphans, forwards, snapshots, templates);
        }

        public Parts withImages(ImageResolver images) {
            return new Parts(driver, keys, rootDisks, capabilities, images, bootPlan, orphans, forwards, snapshots, templates);
        }

        public Parts withBootPlan(BootPlan bootPlan) {
            return new Parts(driver, keys, rootDisks, capabilities, images, bootPlan, orphans, forwards, snapshots, templates);
        }

        public Parts withDriver(HypervisorDriver driver) {
            return new Parts(() -> driver, keys, rootDisks, capabilities, images, bootPlan, orphans, forwards, snapshots, templates);
        }
    }

    private final Store store;
    private final Layout layout;
    private final Config config;
    private final HostNetwork network;
    private final ImageService images;
    private final WorkspaceService workspaces;
    private final Clock clock;
    private final ReentrantLock createVMMu = new ReentrantLock();
    private final VmLocks locks = new VmLocks();
    /** Handles of running VMs; handles.json is written first, so this never knows more than the disk. */
    private final ConcurrentMap<String, VmHandles> running = new ConcurrentHashMap<>();
    /** Running VMs whose vCPUs are stopped; learnt again from the hypervisor when a restarted daemon adopts them. */
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    private final Supplier<HypervisorDriver> driver;
    private final Supplier<SshKeys> keys;
    private final Supplier<GuestSsh> ssh;
    private final RootDisks rootDisks;
    private final SnapshotFiles snapshots;
    private final VmForwards forwards;
    private final Capabilities capabilities;
    private final ImageResolver imageResolver;
    private final BootPlan bootPlan;
    private final VmStatsSampler statsSampler;
    private final Orphans orphans;
    private final TemplateBuilds templates;

    public VMService(Store store, Layout layout, Config config, HostNetwork network, ImageService images, WorkspaceService workspaces,
                     Clock clock, Parts parts) {
        this.store = store;
        this.layout = layout;
        this.config = config;
        this.network = network;
        this.images = images;
        this.workspaces = workspaces;
        this.clock = clock;
        this.driver = parts.driver();
        this.keys = parts.keys();
        this.ssh = memoize(() -> new GuestSsh(keys.get()));
        this.rootDisks = parts.rootDisks();
        this.capabilities = parts.capabilities();
        this.imageResolver = parts.images();
        this.bootPlan = parts.bootPlan();
        this.statsSampler = new VmStatsSampler(driver, clock);
        this.orphans = parts.orphans();
        this.forwards = parts.forwards();
        this.snapshots = parts.snapshots();
        this.templates = parts.templates();
    }

    // ---- create: resolve (no lock), reserve (createVMMu), start (per-VM lock) ----

    /**
     * A new VM: booted from its image, or ({@code fromSnapshot}) a clone that goes on from a snapshot's
     * memory on copy-on-write disks over the snapshot's, given its own identity before it is ready.
     * A clone's size and image are the snapshot's.
     */
    public VmInfo create(CreateParams p, OperationContext ctx) {
        String name = p.name() == null ? generatedName() : VmRequests.name(p.name());
        CloneOrigin clone = p.fromSnapshot() == null ? null : cloneOrigin(p);
        int vcpu = clone != null ? clone.manifest().vcpu() : VmRequests.vcpu(p.vcpu(), config.vm().vcpu());
        int memory = clone != null ? clone.manifest().memoryMib() : VmRequests.memoryMib(p.memory(), config.vm().memoryMib());
        long disk = clone != null ? clone.manifest().diskBytes() : VmRequests.diskBytes(p.diskSize(), config.vm().diskBytes());
        boolean nat = Boolean.TRUE.equals(p.nat());
        network.guard().requireTool(); // no guard, no start: refused before anything is reserved
        if (nat) {
            network.nat().choose(); // no firewall tool: refused before anything is reserved
        }
        if (store.vms().find(name).filter(v -> v.name().equals(name)).isPresent()) {
            throw new BangerException(ErrorCode.ALREADY_EXISTS, "a VM named " + name + " already exists");
        }
        List<PortForward> published = forwards.check(p.ports()); // a taken host port: refused before anything is reserved
        ctx.progress("resolve image");
        BootableImage image = clone != null ? images.bootable(store.images().find(clone.manifest().imageId())
                .orElseThrow(() -> BangerException.notFound("snapshot " + clone.snapshotName() + "'s image is gone")))
                : imageResolver.resolve(p.image() != null ? p.image() : config.vm().defaultImage(), p.kernel(), ctx);
        TemplateKey key = clone != null ? null : warmKey(p, image, vcpu, memory, disk);
        Optional<SnapshotInfo> template = key == null ? Optional.empty() : usableTemplate(key);
        // Warm start is a clone of the template: its disks over the template's, its own identity.
        CloneOrigin origin = clone != null ? clone : template.map(this::originOf).orElse(null);
        VmInfo vm = reserveVM(name, image.image(), vcpu, memory, disk, nat, !Boolean.FALSE.equals(p.isolate()),
                origin == null ? null : origin.snapshotId(), false);
        try {
            forwards.keep(vm, published);
        } catch (RuntimeException e) { // another create published the port in between
            store.vms().delete(vm.id());
            throw e;
        }
        if (Boolean.TRUE.equals(p.noStart())) {
            return vm;
        }
        try {
            VmInfo started = locks.with(vm.id(), () -> origin == null ? startVMLocked(vm, image, ctx) : startVMLocked(vm, image, ctx, origin));
            if (template.isPresent()) {
                LOG.info("VM {}: started from template {}", vm.name(), template.get().name());
            } else if (key != null) {
                queueTemplate(image, vcpu, memory, disk, key);
            }
            return started;
        } catch (RuntimeException e) {
            // A create its client cancelled, or whose disks found no room, leaves nothing once its
            // start was undone: the user never got this VM, and the same create must work again.
            // So does a clone that did not start: without its first start it is no clone of anything.
            // Other failures keep the row in `error`, with the reason and the console for diagnosis.
            // An undo that did not finish (handles in `failed`) keeps both for the next reconcile.
            boolean undone = HandlesFile.read(vmDir(vm.id())).isEmpty();
            if ((ctx.isCancelled() || e instanceof NoSpaceException || origin != null) && undone) {
                Uncancellable.run("removal of VM " + vm.name() + "'s files", () -> FileTrees.deleteQuietly(vmDir(vm.id())));
                store.vms().delete(vm.id());
                if (template.isPresent() && !ctx.isCancelled() && !(e instanceof NoSpaceException)) {
                    // A template that fails to restore costs one slow create, never a failed one.
                    LOG.warn("VM {}: warm start from template {} failed ({}); deleting the template and booting", vm.name(),
                            template.get().name(), e.getMessage());
                    deleteTemplate(template.get());
                    return create(coldCopy(p), ctx);
                }
            }
            throw e;
        }
    }

    /** The snapshot a create clones, checked before anything is reserved: it exists, is complete and loads here. */
    private CloneOrigin cloneOrigin(CreateParams p) {
        VmRequests.cloneOptions(p);
        SnapshotInfo snap = findSnapshot(p.fromSnapshot());
        HypervisorDriver d = driver.get();
        if (!d.supportsIdentityChannel()) {
            throw BangerException.badRequest("snapshot " + snap.name() + " cannot start a clone under " + d.name()
                    + ": it has no channel to give a restored guest its own identity (address, host key); "
                    + "use `banger vm restore " + snap.vmName() + " " + snap.name() + "` to roll its own VM back");
        }
        return snapshots.origin(snap.id(), snap.name(), d.stateFormat());
    }

    /**
     * Phase 2: milliseconds under createVMMu — name re-check, next free address, the {@code created}
     * row; a clone's snapshot must still be there (its delete checks for clones in one transaction too).
     * {@code hidden}: a warm-start template's VM (see {@link VmRows#insert(java.sql.Connection, VmInfo, boolean)}).
     */
    VmInfo reserveVM(String name, ImageInfo image, int vcpu, int memoryMib, long diskBytes, boolean nat, boolean isolate,
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
    private VmInfo startVMLocked(VmInfo vm, OperationContext ctx) {
        ImageInfo image = store.images().find(vm.imageId())
                .orElseThrow(() -> BangerException.notFound("VM " + vm.name() + "'s image is gone"));
        return startVMLocked(vm, images.bootable(image), ctx);
    }

    /** As above, with the image a create resolved. */
    private VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx) {
        return startVMLocked(vm, image, ctx, null, false);
    }

    /** A clone's first start, going on from the snapshot {@code clone}. */
    private VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx, CloneOrigin clone) {
        Path dir = FileModes.privateDir(vmDir(vm.id())); // its disks are the guest's: no one else reads them
        return startVMLocked(new BootContext(vm, image.image(), image.kernel(), dir, ctx, clock.instant(), clone), false);
    }

    /**
     * {@code restoreFrom}: a saved state the guest goes on from instead of booting, or null;
     * {@code template}: a warm-start template's hidden VM, whose VMM runs at a lower CPU priority.
     */
    private VmInfo startVMLocked(VmInfo vm, BootableImage image, OperationContext ctx, Path restoreFrom, boolean template) {
        Path dir = FileModes.privateDir(vmDir(vm.id())); // its disks are the guest's: no one else reads them
        return startVMLocked(new BootContext(vm, image.image(), image.kernel(), dir, ctx, clock.instant(), restoreFrom), template);
    }

    private VmInfo startVMLocked(BootContext boot, boolean template) {
        VmInfo vm = boot.vm();
        Path dir = boot.vmDir();
        try {
            List<BootStep> steps = standardSteps(boot);
            if (template) {
                steps.add(steps.indexOf(steps.stream().filter(LaunchStep.class::isInstance).findFirst().orElseThrow()) + 1,
                        templates.lowPriority());
            }
            StepRunner.run(bootPlan.steps(boot, steps), boot);
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
        steps.add(boot.clone() != null ? new CloneDisksStep(rootDisks, snapshots) : new RootDiskStep(rootDisks, d.readsQcow2()));
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
        steps.add(new ReadinessStep(ssh.get(), d, config.vm().bootTimeout()));
        steps.addAll(capabilities.afterStartSteps(boot.vm()));
        return steps;
    }

    // ---- warm start ----

    /**
     * The key of the template this create could start from, or null when it boots whatever
     * templates exist: {@code warm_start = false}, {@code --cold}, {@code --no-start} (a later
     * start boots), or a hypervisor that cannot give a clone its identity (Firecracker). Logged when a
     * user's wish is not why.
     */
    private TemplateKey warmKey(CreateParams p, BootableImage image, int vcpu, int memoryMib, long diskBytes) {
        if (!config.vm().warmStart() || Boolean.TRUE.equals(p.cold()) || Boolean.TRUE.equals(p.noStart())) {
            return null;
        }
        HypervisorDriver d = driver.get();
        if (!d.supportsIdentityChannel()) { // a warm start is a clone
            LOG.info("warm start skipped: the {} driver cannot give a restored guest its own identity; booting", d.name());
            return null;
        }
        return TemplateKey.of(image.image(), image.kernel(), GuestInjector.filesVersion(), vcpu, memoryMib, diskBytes, d.name(),
                d.stateFormat(), SnapshotFiles.FORMAT);
    }

    /** The template of this key when its files are complete and this host loads its state; a broken one is deleted. */
    private Optional<SnapshotInfo> usableTemplate(TemplateKey key) {
        Optional<SnapshotInfo> template = store.snapshots().template(key.digest());
        if (template.isEmpty()) {
            return template;
        }
        try {
            originOf(template.get());
            return template;
        } catch (BangerException e) {
            LOG.warn("template {} is unusable ({}); deleting it, booting, and building it again", template.get().name(), e.getMessage());
            deleteTemplate(template.get());
            return Optional.empty();
        }
    }

    /** What a clone of this snapshot starts from, checked (complete, loads on this host). */
    private CloneOrigin originOf(SnapshotInfo snap) {
        return snapshots.origin(snap.id(), snap.name(), driver.get().stateFormat());
    }

    /** The same create, booting: after a warm start that failed. */
    private static CreateParams coldCopy(CreateParams p) {
        return new CreateParams(p.name(), p.image(), p.kernel(), p.vcpu(), p.memory(), p.diskSize(), p.noStart(), p.nat(), p.isolate(),
                p.ports(), null, true);
    }

    /** Queues a template build of this key unless one is queued or running; never delays the caller. */
    private void queueTemplate(BootableImage image, int vcpu, int memoryMib, long diskBytes, TemplateKey key) {
        String what = "image " + image.image().name() + " (" + vcpu + " vCPU, " + memoryMib + " MiB)";
        if (!templates.submit(key, what, () -> buildTemplate(image, vcpu, memoryMib, diskBytes, key))) {
            LOG.info("no warm-start template for {} yet: booted; its build is under way", what);
        }
    }

    /**
     * The template build, on the template thread: a hidden VM of the image and machine booted to
     * SSH-ready at low priority, a live snapshot of it kept under the key, then the VM deleted (the
     * snapshot outlives it, as every snapshot does). Then the image's stale templates of the same
     * machine (other keys: another kernel, guest init, hypervisor) go. A failure removes everything
     * this build made.
     */
    private void buildTemplate(BootableImage image, int vcpu, int memoryMib, long diskBytes, TemplateKey key) {
        if (store.snapshots().template(key.digest()).isPresent()) {
            return; // a build queued before the last one of this key finished
        }
        OperationContext ctx = OperationContext.background("vm.template.build");
        VmInfo vm = reserveVM("tpl-" + Ids.newId().substring(0, 10), image.image(), vcpu, memoryMib, diskBytes, false, true, null, true);
        String name = "template-" + image.image().name() + "-" + key.digest().substring(0, 12);
        SnapshotInfo made;
        try {
            made = locks.with(vm.id(), () -> {
                startVMLocked(vm, image, ctx, null, true);
                settle(vm);
                return takeSnapshot(vm, running.get(vm.id()), name, key.digest(), ctx);
            });
        } finally {
            removeHiddenVm(vm);
        }
        for (SnapshotInfo old : store.snapshots().templatesOf(image.image().id())) {
            if (!old.id().equals(made.id()) && old.vcpu() == vcpu && old.memoryMib() == memoryMib && old.diskBytes() == diskBytes) {
                LOG.info("template {} replaced by {}: deleting it", old.name(), made.name());
                deleteTemplate(old);
            }
        }
    }

    /**
     * A template's snapshot and files; while VMs started from it run (their disks are backed by its
     * files) it is retired instead: never restored again, deleted with the last of them.
     */
    private void deleteTemplate(SnapshotInfo template) {
        locks.with(template.vmId(), () -> {
            List<String> clones = store.snapshots().deleteUnlessCloned(template.id());
            if (clones.isEmpty()) {
                snapshots.delete(template.id());
            } else {
                store.snapshots().retireTemplate(template.id());
                LOG.info("template {} retired: VMs {} run over its files; it goes with the last of them", template.name(), clones);
            }
            return null;
        });
    }

    /**
     * Lets a template guest's own init finish starting its services before the snapshot (systemd:
     * {@code is-system-running --wait}), so that clones do not each redo the tail of a boot while
     * they apply their identity; a guest without systemd is ready at SSH. Best effort, bounded.
     */
    private void settle(VmInfo vm) {
        long t0 = System.nanoTime();
        try {
            ssh.get().exec(vm.guestIp(), ReadinessStep.SSH_PORT, SETTLE, STOP_DIAL_TIMEOUT, SETTLE_TIMEOUT);
            LOG.info("template VM {}: settled in {} ms", vm.name(), (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.info("template VM {}: not settled ({}); snapshotting as it is", vm.name(), e.getMessage());
        }
    }

    /** After a VM's delete: the retired template it was started from, once no other VM runs over it. */
    private void deleteRetiredTemplate(String snapshotId) {
        store.snapshots().retired(snapshotId).ifPresent(this::deleteTemplate);
    }

    /** A template build's hidden VM, whatever state it got to: process and host side, dir, row. */
    private void removeHiddenVm(VmInfo vm) {
        locks.with(vm.id(), () -> {
            VmHandles h = Optional.ofNullable(running.get(vm.id())).or(() -> recordedHandles(vm)).orElse(null);
            teardown(vm, h);
            Uncancellable.run("removal of template VM " + vm.name() + "'s files", () -> FileTrees.deleteQuietly(vmDir(vm.id())));
            store.vms().delete(vm.id());
            return null;
        });
        locks.forget(vm.id());
    }

    /**
     * Deletes the warm-start templates of an image before the image itself (they hold it). Only
     * when no VM uses it: then the image delete is refused anyway, and its templates are kept.
     */
    public void deleteTemplatesOf(String imageRef) {
        Optional<ImageInfo> image = store.images().find(imageRef);
        if (image.isEmpty() || store.vms().list().stream().anyMatch(v -> v.imageId().equals(image.get().id()))) {
            return;
        }
        for (SnapshotInfo template : store.snapshots().templatesOf(image.get().id())) {
            LOG.info("image {} deleted: deleting its template {}", image.get().name(), template.name());
            deleteTemplate(template);
        }
    }

    /**
     * Reconcile of a template build's hidden VM: never adopted (the build's daemon is gone), torn
     * down and removed; a template it had already published stays (it is complete).
     */
    private void settleHiddenVm(VmInfo vm) {
        teardown(vm, recordedHandles(vm).orElse(null));
        FileTrees.deleteQuietly(vmDir(vm.id()));
        store.vms().delete(vm.id());
        LOG.warn("template VM {}: its build was cut short by the previous daemon's exit; removed", vm.name());
    }

    /** Daemon shutdown: no more template builds; one in progress is interrupted and undoes itself. */
    public void close() {
        templates.close();
    }

    // ---- lifecycle ----

    public VmInfo start(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (now.running()) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "VM " + now.name() + " is already running");
            }
            return startVMLocked(now, ctx);
        });
    }

    public VmInfo stop(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            VmHandles h = requireRunning(find(vm.id()));
            if (paused.contains(vm.id())) {
                resumeLocked(vm, h); // a paused guest cannot sync its disks nor power off
            }
            ctx.progress("power off");
            try {
                ssh.get().exec(vm.guestIp(), ReadinessStep.SSH_PORT, driver.get().exitsOnGuestReboot() ? REBOOT : POWEROFF, STOP_DIAL_TIMEOUT, STOP_DIAL_TIMEOUT.multipliedBy(2));
            } catch (RuntimeException e) {
                LOG.info("VM {}: no clean poweroff over SSH ({}); killing it", vm.name(), e.getMessage());
            }
            if (h.machine() != null && !driver.get().awaitExit(h.machine(), STOP_GRACE)) {
                LOG.warn("VM {} did not power off within {} s; killing it", vm.name(), STOP_GRACE.toSeconds());
            }
            ctx.progress("tear down");
            teardownToStopped(vm, h);
            return show(vm.id());
        });
    }

    public VmInfo kill(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            VmHandles h = requireRunning(find(vm.id()));
            ctx.progress("kill");
            teardownToStopped(vm, h);
            return show(vm.id());
        });
    }

    /** Stops the guest's vCPUs; memory, disks and network stay. Pausing a paused VM changes nothing. */
    public VmInfo pause(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            VmHandles h = requireRunning(find(vm.id()));
            ctx.progress("pause");
            driver.get().pause(h.machine());
            paused.add(vm.id());
            return show(vm.id());
        });
    }

    /** Runs a paused guest on from where it stopped. Resuming a VM that runs changes nothing. */
    public VmInfo resume(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            VmHandles h = requireRunning(find(vm.id()));
            ctx.progress("resume");
            resumeLocked(vm, h);
            return show(vm.id());
        });
    }

    private void resumeLocked(VmInfo vm, VmHandles h) {
        driver.get().resume(h.machine());
        paused.remove(vm.id());
    }

    // ---- snapshots ----

    /**
     * A live snapshot: the guest's memory and device state saved while it runs on (the hypervisor
     * stops it only for its last pass), then, with the vCPUs still stopped, its disks copied; then
     * it runs on (a VM paused by its user stays paused). Only a running VM: a stopped one has no
     * memory to keep.
     */
    public SnapshotInfo snapshot(SnapshotParams p, OperationContext ctx) {
        VmInfo vm = find(required(p.name()));
        String name = p.snapshot() == null ? vm.name() + "-" + SNAPSHOT_STAMP.format(clock.instant()) : VmRequests.snapshotName(p.snapshot());
        return locks.with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (!now.running() || !running.containsKey(now.id())) {
                throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + now.name() + " is not running (state " + now.state()
                        + "): a snapshot holds a running guest's memory; start it first");
            }
            if (store.snapshots().find(name).isPresent()) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "a snapshot named " + name + " already exists");
            }
            return takeSnapshot(now, running.get(now.id()), name, null, ctx);
        });
    }

    /** {@code templateKey}: non-null for a warm-start template (hidden from {@code vm snapshot list}). */
    private SnapshotInfo takeSnapshot(VmInfo vm, VmHandles h, String name, String templateKey, OperationContext ctx) {
        HypervisorDriver d = driver.get();
        String id = Ids.newId();
        Path staging = snapshots.staging(id);
        boolean pausedByUser = paused.contains(vm.id());
        try {
            ctx.progress("save memory");
            StateSave save;
            long stoppedAt;
            List<String> disks = new ArrayList<>();
            // The guest's identity agent is saved waiting on a connected port: its clones then read their identity at once.
            try (IdentityLink held = d.identitySocket(vmDir(vm.id())).map(IdentityLink::heldForSave).orElse(null)) {
                save = d.saveState(h.machine(), SnapshotFiles.stateFile(staging));
                stoppedAt = System.nanoTime();
                ctx.progress("copy disks");
                for (String disk : new String[] {h.rootDisk(), h.workDisk()}) {
                    if (disk != null) {
                        snapshots.copyDisk(Path.of(disk), staging);
                        disks.add(Path.of(disk).getFileName().toString());
                    }
                }
            } finally {
                if (!pausedByUser) {
                    Uncancellable.run("resume of VM " + vm.name(), () -> {
                        if (d.isAlive(h.machine()) && d.isPaused(h.machine())) {
                            d.resume(h.machine());
                        }
                    });
                }
            }
            long pauseMillis = save.downtime().toMillis() + (System.nanoTime() - stoppedAt) / 1_000_000;
            if (vm.fromSnapshot() != null && !disks.isEmpty()) {
                // A clone's root disk is backed by its snapshot's: the copy is rebased onto the image (the guest
                // runs on meanwhile), so this snapshot does not depend on that one, which may go once no VM runs on it.
                ctx.progress("rebase root disk");
                ImageInfo image = store.images().find(vm.imageId())
                        .orElseThrow(() -> BangerException.notFound("VM " + vm.name() + "'s image is gone"));
                snapshots.rebaseOnto(staging.resolve(disks.getFirst()), Path.of(image.rootfsPath()));
            }
            var now = clock.instant();
            snapshots.writeManifest(staging, new SnapshotFiles.Manifest(SnapshotFiles.FORMAT, dev.banger.core.BuildInfo.current().version(),
                    d.name(), d.stateFormat(), vm.id(), vm.imageId(), vm.vcpu(), vm.memoryMib(), vm.diskBytes(), disks, now));
            Path dir = snapshots.publish(staging, id);
            SnapshotInfo info = new SnapshotInfo(id, name, vm.id(), vm.name(), vm.imageId(), vm.vcpu(), vm.memoryMib(), vm.diskBytes(),
                    d.name(), d.stateFormat(), save.bytes(), snapshots.sizeOnDisk(dir), pauseMillis, now, false);
            try {
                store.snapshots().insert(info, templateKey);
            } catch (RuntimeException e) {
                snapshots.delete(id);
                throw e;
            }
            LOG.info("VM {}: snapshot {} taken, paused {} ms, state {} bytes, {} bytes on disk", vm.name(), name, pauseMillis,
                    save.bytes(), info.sizeBytes());
            return info;
        } catch (IOException | UncheckedIOException e) {
            FileTrees.deleteQuietly(staging);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "snapshot " + name + " of VM " + vm.name() + " failed: "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            FileTrees.deleteQuietly(staging);
            throw e;
        }
    }

    /** Every snapshot, or those of one VM. */
    public List<SnapshotInfo> snapshots(String vmRef) {
        return snapshots(vmRef, false);
    }

    /** As above; {@code templates}: the warm-start templates too. */
    public List<SnapshotInfo> snapshots(String vmRef, boolean templates) {
        return store.snapshots().list(vmRef == null ? null : find(vmRef).id(), templates);
    }

    /** Deletes a snapshot no VM was cloned from (a clone's disks are backed by its files); a template too (it is built again). */
    public SnapshotInfo deleteSnapshot(String ref) {
        SnapshotInfo snap = findSnapshot(ref);
        return locks.with(snap.vmId(), () -> {
            List<String> clones = store.snapshots().deleteUnlessCloned(snap.id());
            if (!clones.isEmpty()) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is in use: VM" + (clones.size() > 1 ? "s " : " ")
                        + String.join(", ", clones) + " run on disks backed by its files; delete " + (clones.size() > 1 ? "them" : "it")
                        + " first");
            }
            snapshots.delete(snap.id());
            return snap;
        });
    }

    /**
     * Rolls the VM back to one of its snapshots in place: its process ends (if it runs), the
     * snapshot's disks replace its own, and a new process goes on from the saved memory, reported
     * ready once SSH answers. Checked first, so a refusal leaves the VM as it was: the snapshot must
     * be this VM's, complete, written by this format and this host's hypervisor version, and of
     * the machine the VM is now (vCPUs, memory, disk size, image).
     */
    public VmInfo restore(SnapshotParams p, OperationContext ctx) {
        VmInfo vm = find(required(p.name()));
        if (p.snapshot() == null || p.snapshot().isBlank()) {
            throw BangerException.badRequest("a snapshot name is required");
        }
        SnapshotInfo snap = findSnapshot(p.snapshot());
        return locks.with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (snap.vmDeleted()) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is of VM " + snap.vmName() + ", which was deleted:"
                        + " there is nothing to roll back; make a new VM from it (banger vm create --from-snapshot " + snap.name() + ")");
            }
            if (!snap.vmId().equals(now.id())) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is of VM " + snap.vmName() + ", not " + now.name()
                        + ": vm restore rolls back the VM a snapshot was taken of");
            }
            SnapshotFiles.Manifest m = snapshots.verify(snap.id(), snap.name(), driver.get().stateFormat());
            if (m.vcpu() != now.vcpu() || m.memoryMib() != now.memoryMib() || m.diskBytes() != now.diskBytes()
                    || !m.imageId().equals(now.imageId())) {
                throw BangerException.badRequest("snapshot " + snap.name() + " was taken of " + machine(m.vcpu(), m.memoryMib(),
                        m.diskBytes()) + ", VM " + now.name() + " is now " + machine(now.vcpu(), now.memoryMib(), now.diskBytes())
                        + (m.imageId().equals(now.imageId()) ? "" : " on another image")
                        + ": a saved memory fits only the machine it came from (vm set the VM back first)");
            }
            ImageInfo image = store.images().find(now.imageId())
                    .orElseThrow(() -> BangerException.notFound("VM " + now.name() + "'s image is gone"));
            if (now.running()) {
                ctx.progress("stop");
                teardownToStopped(now, running.get(now.id()));
            }
            ctx.progress("restore disks");
            snapshots.restoreDisks(snap.id(), m, vmDir(now.id()));
            return startVMLocked(find(now.id()), images.bootable(image), ctx, SnapshotFiles.stateFile(snapshots.dirOf(snap.id())),
                    false);
        });
    }

    private static String machine(int vcpu, int memoryMib, long diskBytes) {
        return vcpu + " vCPU, " + memoryMib + " MiB, a " + diskBytes + "-byte work disk";
    }

    private SnapshotInfo findSnapshot(String ref) {
        return store.snapshots().find(ref).orElseThrow(() -> BangerException.notFound("snapshot '" + ref + "' not found"));
    }

    /** A stop and a start under one hold of the VM's lock: the guest boots afresh (new boot_id). */
    public VmInfo restart(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return locks.with(vm.id(), () -> {
            if (find(vm.id()).running()) {
                stop(vm.id(), ctx);
            }
            return startVMLocked(find(vm.id()), ctx);
        });
    }

    /** {@code vm.delete}: refuses a running VM without {@code force}, checked under the VM's lock so a start cannot slip in between. */
    public VmInfo delete(DeleteParams p, OperationContext ctx) {
        return delete(required(p.name()), Boolean.TRUE.equals(p.force()), ctx);
    }

    /** Deletes the VM whatever its state (a running one is killed first). */
    public VmInfo delete(String ref, OperationContext ctx) {
        return delete(ref, true, ctx);
    }

    private VmInfo delete(String ref, boolean force, OperationContext ctx) {
        VmInfo vm = find(ref);
        VmInfo deleted = locks.with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (!force && now.running()) { // the row says running for a paused VM too
                throw BangerException.invalidArgument("VM " + now.name() + " is " + withRuntime(now).state()
                        + ": stop it first, or delete it with -f/--force");
            }
            // Not running: handles.json may still name what a failed start's incomplete undo left.
            VmHandles h = Optional.ofNullable(running.get(now.id())).or(() -> recordedHandles(now)).orElse(null);
            ctx.progress(now.running() ? "kill" : "clean up");
            teardown(now, h);
            ctx.progress("remove disks");
            Uncancellable.run("removal of VM " + now.name() + "'s files", () -> FileTrees.deleteQuietly(vmDir(now.id())));
            ssh.get().forget(List.of(now.guestIp(), now.name() + ".vm"));
            store.vms().delete(now.id()); // its snapshots stay: clones may be made of them (vm snapshot delete removes them)
            return now.withRuntime(null);
        });
        locks.forget(vm.id());
        if (deleted.fromSnapshot() != null) {
            deleteRetiredTemplate(deleted.fromSnapshot());
        }
        return deleted;
    }

    public VmInfo set(SetParams p) {
        VmInfo vm = find(required(p.name()));
        return locks.with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (now.running()) {
                throw BangerException.badRequest("VM " + now.name() + " is running: stop it before changing its size, NAT or isolation");
            }
            int vcpu = VmRequests.vcpu(p.vcpu(), now.vcpu());
            int memory = VmRequests.memoryMib(p.memory(), now.memoryMib());
            long disk = VmRequests.diskBytes(p.diskSize(), now.diskBytes());
            if (disk < now.diskBytes()) {
                throw BangerException.badRequest("--disk-size cannot shrink the work disk (" + now.diskBytes() + " bytes now): "
                        + "the guest's files may not fit");
            }
            store.vms().setSpec(now.id(), vcpu, memory, disk, clock.instant());
            if (p.nat() != null && p.nat() != now.nat()) {
                if (p.nat()) {
                    network.nat().choose();
                } else {
                    network.nat().disable(now.id()); // rules an incomplete teardown left, which no later cleanup would see
                }
                store.vms().setNat(now.id(), p.nat(), clock.instant());
            }
            if (p.isolate() != null && p.isolate() != now.isolate()) {
                store.vms().setIsolate(now.id(), p.isolate(), clock.instant()); // the guard is made anew at the next start
            }
            return show(now.id());
        });
    }

    /** Deletes every VM that is not running. */
    public List<VmInfo> prune(OperationContext ctx) {
        List<VmInfo> deleted = new ArrayList<>();
        for (VmInfo vm : store.vms().list()) {
            if (!vm.running()) {
                deleted.add(delete(vm.id(), ctx));
            }
        }
        return deleted;
    }

    public List<VmInfo> list() {
        return store.vms().list().stream().map(this::withRuntime).toList();
    }

    /** Every VM, the hidden VMs of warm-start templates too. */
    public List<VmInfo> listWithTemplates() {
        return store.vms().listAll().stream().map(this::withRuntime).toList();
    }

    public VmInfo show(String ref) {
        return withRuntime(find(ref));
    }

    /** The console's last {@code lines} lines (all of them up to 64 KiB when not given). */
    public Logs logs(LogsParams p) {
        VmInfo vm = find(required(p.name()));
        Path log = vmDir(vm.id()).resolve("console.log");
        int lines = p.lines() == null || p.lines() <= 0 ? Integer.MAX_VALUE : p.lines();
        return new Logs(vm.name(), log.toString(), ConsoleTail.read(log, lines).lines());
    }

    /** What {@code banger vm ssh} needs to exec the system ssh with banger's key and known_hosts. */
    public SshInfo sshInfo(String ref) {
        VmInfo vm = find(ref);
        requireAnswering(vm);
        SshConfigInfo c = sshConfig();
        return new SshInfo(vm.name(), vm.guestIp(), ReadinessStep.SSH_PORT, c.user(), c.identityFile(), c.groupIdentityFile(),
                c.knownHostsFile(), workspaces.record(vmDir(vm.id())).map(ShipRecord::guestPath).orElse(null));
    }

    /** Ships a work tree the CLI streams into the running VM (see {@link WorkspaceService#prepare}). */
    public ShipRecord prepareWorkspace(PrepareParams p, OperationContext ctx) {
        return workspaces.prepare(guest(p.name()), p, ctx);
    }

    /** The last ship's manifest and the guest's changes since. */
    public ManifestInfo workspaceManifest(String ref, OperationContext ctx) {
        return workspaces.manifest(guest(ref), ctx);
    }

    /** The guest's changes since the last ship, as a patch streamed to the CLI. */
    public ExportInfo exportWorkspace(ExportParams p, OperationContext ctx) {
        return workspaces.export(guest(p.name()), p, ctx);
    }

    private Guest guest(String ref) {
        VmInfo vm = find(required(ref));
        requireAnswering(vm);
        SshKeys k = keys.get();
        return new Guest(vm.name(), vm.guestIp(), ReadinessStep.SSH_PORT, vmDir(vm.id()), k.privateKey(), k.knownHosts());
    }

    /** The key files and known_hosts every guest's SSH uses, for {@code banger ssh-config}. */
    public SshConfigInfo sshConfig() {
        SshKeys k = keys.get();
        return new SshConfigInfo("root", k.privateKey().toString(), k.groupKey().map(Path::toString).orElse(null),
                k.knownHosts().toString());
    }

    /** The guest's listening TCP and UDP ports with their processes, and which answer HTTP from the host. */
    public PortsInfo ports(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        requireAnswering(vm);
        return new PortsInfo(vm.name(), new GuestPorts(ssh.get(), ReadinessStep.SSH_PORT).list(vm.name(), vm.guestIp(), ctx::progress),
                forwards.list(vm).forwards());
    }

    // ---- published ports ----

    public ForwardsInfo forwardAdd(ForwardParams p) {
        VmInfo vm = find(required(p.name()));
        return locks.with(vm.id(), () -> forwards.add(find(vm.id()), p.spec()));
    }

    public ForwardsInfo forwardRemove(ForwardParams p) {
        VmInfo vm = find(required(p.name()));
        return locks.with(vm.id(), () -> forwards.remove(find(vm.id()), p.spec()));
    }

    public ForwardsInfo forwardList(String ref) {
        return forwards.list(find(ref));
    }

    /** Counters of the VMs named (each must exist; a stopped one reads as zeros), or of every running VM when none is named. */
    public Stats stats(StatsParams p) {
        List<VmInfo> vms = p.names() == null || p.names().isEmpty()
                ? store.vms().list().stream().filter(VmInfo::running).toList()
                : p.names().stream().map(this::find).toList();
        return new Stats(vms.stream().map(vm -> statsSampler.sample(vm, running.get(vm.id()))).toList());
    }

    // ---- reconcile ----

    /**
     * After a daemon (re)start: adopt every VM whose recorded process still runs and is the right
     * process; tear down what is left of the others (an interrupted start included) and settle their
     * rows. Then the sweeps of what no row accounts for: VM dirs, taps, firewall rules.
     */
    public void reconcile() {
        List<VmInfo> vms = store.vms().listAll();
        Set<String> hidden = store.vms().hiddenIds();
        for (VmInfo vm : vms) {
            try {
                if (hidden.contains(vm.id())) {
                    settleHiddenVm(vm);
                    continue;
                }
                reconcile(vm);
            } catch (RuntimeException e) {
                LOG.error("VM {}: reconcile failed: {}", vm.name(), e.getMessage(), e);
            }
        }
        new VmDirSweep(layout.vmsDir(), orphans::kill).run(vms.stream().map(VmInfo::id).collect(Collectors.toSet()));
        new OrphanTapSweep(network).run(running.values().stream().map(VmHandles::tap).filter(t -> t != null).collect(Collectors.toSet()));
        new FirewallRuleSweep(network).run(Set.copyOf(running.keySet()));
        snapshots.sweepStaging();
        snapshots.sweepUnlisted(store.snapshots().list(null, true).stream().map(SnapshotInfo::id).collect(Collectors.toSet()));
    }

    private void reconcile(VmInfo vm) {
        {
            Path dir = vmDir(vm.id());
            Optional<VmHandles> h = recordedHandles(vm);
            if (h.isPresent() && VmHandles.RUNNING.equals(h.get().phase()) && vm.running() && h.get().machine() != null
                    && driver.get().adopt(h.get().machine()).isPresent()) {
                running.put(vm.id(), h.get());
                adoptPauseState(vm, h.get());
                capabilities.adopt(vm, h.get());
                LOG.info("VM {} is still running (pid {}): adopted", vm.name(), h.get().machine().pid());
                return;
            }
            if (h.isEmpty() && !vm.running()) {
                return;
            }
            teardown(vm, h.orElse(null));
            if (h.isPresent() && VmHandles.FAILED.equals(h.get().phase())) {
                h.get().made().forEach(f -> FileTrees.deleteQuietly(Path.of(f)));
                removeIfEmpty(dir);
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
                    removeIfEmpty(dir);
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

    // ---- helpers ----

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

    /** The teardown, then {@code stopped}; an incomplete one leaves {@code error} with what is left, for delete to retry. */
    private void teardownToStopped(VmInfo vm, VmHandles h) {
        try {
            teardown(vm, h);
        } catch (RuntimeException e) {
            store.vms().setState(vm.id(), VmInfo.ERROR, e.getMessage(), clock.instant());
            throw e;
        }
        store.vms().setState(vm.id(), VmInfo.STOPPED, null, clock.instant());
    }

    /** handles.json of a VM; empty when there is none, or it cannot be read (the teardown then goes by name). */
    private Optional<VmHandles> recordedHandles(VmInfo vm) {
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
    private void teardown(VmInfo vm, VmHandles h) {
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

    private VmHandles requireRunning(VmInfo vm) {
        VmHandles h = running.get(vm.id());
        if (!vm.running() || h == null) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + vm.name() + " is not running (state " + vm.state() + ")");
        }
        return h;
    }

    /** Running and not paused: what needs the guest to answer (SSH, workspaces, ports). */
    private void requireAnswering(VmInfo vm) {
        requireRunning(vm);
        if (paused.contains(vm.id())) {
            throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + vm.name() + " is paused: resume it first (banger vm resume "
                    + vm.name() + ")");
        }
    }

    private VmInfo withRuntime(VmInfo vm) {
        VmHandles h = running.get(vm.id());
        if (h == null || h.machine() == null) {
            return vm;
        }
        VmInfo reported = paused.contains(vm.id()) ? vm.withState(VmInfo.PAUSED) : vm;
        return reported.withRuntime(new VmInfo.Runtime(h.machine().driver(), h.machine().accel(), h.machine().pid(), h.tap(),
                String.valueOf(h.machine().consoleLog()), h.rootDisk(), h.workDisk(), h.startedAt()));
    }

    private VmInfo find(String ref) {
        List<VmInfo> vms = store.vms().matching(required(ref));
        if (vms.size() > 1) {
            throw BangerException.badRequest("VM id prefix '" + ref + "' is ambiguous: it matches "
                    + vms.stream().map(v -> v.name() + " (" + v.id() + ")").collect(Collectors.joining(", "))
                    + "; give more of the id, or the name");
        }
        return vms.stream().findFirst().orElseThrow(() -> BangerException.notFound("VM '" + ref + "' not found"));
    }

    /** A row by id, hidden ones included: what the service itself re-reads after a change. */
    private VmInfo byId(String id) {
        return store.vms().byId(id).orElseThrow(() -> BangerException.notFound("VM " + id + " is gone"));
    }

    private Path vmDir(String id) {
        return layout.vmsDir().resolve(id);
    }

    private static String required(String ref) {
        if (ref == null || ref.isBlank()) {
            throw BangerException.badRequest("a VM name or id is required");
        }
        return ref;
    }


    private String generatedName() {
        for (int i = 0; i < 20; i++) {
            String name = "vm-" + Ids.newId().substring(0, 6);
            if (store.vms().find(name).isEmpty()) {
                return name;
            }
        }
        throw new IllegalStateException("cannot find a free VM name");
    }

    private static void removeIfEmpty(Path dir) {
        try (var children = Files.list(dir)) {
            if (children.findAny().isEmpty()) {
                Files.delete(dir);
            }
        } catch (IOException ignored) {
            // Gone already, or not empty: both fine.
        }
    }

    private static <T> Supplier<T> memoize(Supplier<T> s) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = s.get();
                }
                return value;
            }
        };
    }
}
