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
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.BootableImage;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.network.forward.PortForward;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Uncancellable;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.ConsoleTail;
import dev.banger.daemon.vm.boot.HandlesFile;
import dev.banger.daemon.vm.boot.ReadinessStep;
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
import dev.banger.daemon.vm.machine.Orphans;
import dev.banger.daemon.vm.machine.VmMachines;
import dev.banger.daemon.vm.ports.GuestPorts;
import dev.banger.daemon.vm.reconcile.Reconciler;
import dev.banger.daemon.vm.snapshot.Snapshots;
import dev.banger.daemon.vm.snapshot.files.CloneOrigin;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import dev.banger.daemon.vm.ssh.GuestSsh;
import dev.banger.daemon.vm.ssh.SshKeys;
import dev.banger.daemon.vm.warm.TemplateBuilds;
import dev.banger.daemon.vm.warm.TemplateKey;
import dev.banger.daemon.vm.warm.WarmStart;
import dev.banger.daemon.workspace.Guest;
import dev.banger.daemon.workspace.WorkspaceService;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vm service's front: what the RPC handlers call. Create (resolve, reserve, start) and the
 * lifecycle (start/stop/kill/pause/resume/restart/delete/set/prune), list/show/logs, SSH and
 * workspace access, published ports and stats are here. Its parts, made from {@link Parts} in the
 * constructor: the machines all of them share ({@link VmMachines}: rows, locks, boot, teardown),
 * snapshots ({@link Snapshots}), warm start ({@link WarmStart}) and the daemon start's
 * {@link Reconciler}. The parts never call back into this class.
 *
 * <p>Locks: {@code createVMMu} (in {@link VmMachines}) only around the reservation (name check,
 * address, row insert); a per-VM lock around every state change of that VM, boot included. Image
 * resolution and auto-pull run under neither.
 */
public final class VMService {

    private static final Logger LOG = LoggerFactory.getLogger(VMService.class);
    static final Duration STOP_GRACE = Duration.ofSeconds(15);
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
    private final Config config;
    private final HostNetwork network;
    private final ImageService images;
    private final WorkspaceService workspaces;
    private final Clock clock;
    private final Supplier<SshKeys> keys;
    private final VmForwards forwards;
    private final ImageResolver imageResolver;
    private final VmStatsSampler statsSampler;
    private final VmMachines machines;
    private final Snapshots snapshots;
    private final WarmStart warm;
    private final Reconciler reconciler;

    public VMService(Store store, Layout layout, Config config, HostNetwork network, ImageService images, WorkspaceService workspaces,
                     Clock clock, Parts parts) {
        this.store = store;
        this.config = config;
        this.network = network;
        this.images = images;
        this.workspaces = workspaces;
        this.clock = clock;
        this.keys = parts.keys();
        this.imageResolver = parts.images();
        this.statsSampler = new VmStatsSampler(parts.driver(), clock);
        this.forwards = parts.forwards();
        SnapshotFiles snapshotFiles = parts.snapshots();
        Supplier<GuestSsh> ssh = memoize(() -> new GuestSsh(keys.get()));
        this.machines = new VmMachines(store, layout, network, images, clock, config.vm().bootTimeout(), parts.driver(), ssh,
                parts.rootDisks(), snapshotFiles, parts.capabilities(), parts.bootPlan()::steps, parts.orphans());
        this.snapshots = new Snapshots(machines, store, images, snapshotFiles, clock);
        this.warm = new WarmStart(machines, store, snapshots, snapshotFiles, parts.templates(), config.vm().warmStart());
        this.reconciler = new Reconciler(machines, warm, store, network, parts.orphans(), snapshotFiles, layout.vmsDir(), clock);
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
        TemplateKey key = clone != null ? null
                : warm.key(Boolean.TRUE.equals(p.cold()), Boolean.TRUE.equals(p.noStart()), image, vcpu, memory, disk);
        Optional<SnapshotInfo> template = key == null ? Optional.empty() : warm.usableTemplate(key);
        // Warm start is a clone of the template: its disks over the template's, its own identity.
        CloneOrigin origin = clone != null ? clone : template.map(snapshots::originOf).orElse(null);
        VmInfo vm = machines.reserveVM(name, image.image(), vcpu, memory, disk, nat, !Boolean.FALSE.equals(p.isolate()),
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
            VmInfo started = machines.locks().with(vm.id(),
                    () -> origin == null ? machines.startVMLocked(vm, image, ctx) : machines.startVMLocked(vm, image, ctx, origin));
            if (template.isPresent()) {
                LOG.info("VM {}: started from template {}", vm.name(), template.get().name());
            } else if (key != null) {
                warm.queueTemplate(image, vcpu, memory, disk, key);
            }
            return started;
        } catch (RuntimeException e) {
            // A create its client cancelled, or whose disks found no room, leaves nothing once its
            // start was undone: the user never got this VM, and the same create must work again.
            // So does a clone that did not start: without its first start it is no clone of anything.
            // Other failures keep the row in `error`, with the reason and the console for diagnosis.
            // An undo that did not finish (handles in `failed`) keeps both for the next reconcile.
            boolean undone = HandlesFile.read(machines.vmDir(vm.id())).isEmpty();
            if ((ctx.isCancelled() || e instanceof NoSpaceException || origin != null) && undone) {
                Uncancellable.run("removal of VM " + vm.name() + "'s files", () -> FileTrees.deleteQuietly(machines.vmDir(vm.id())));
                store.vms().delete(vm.id());
                if (template.isPresent() && !ctx.isCancelled() && !(e instanceof NoSpaceException)) {
                    // A template that fails to restore costs one slow create, never a failed one.
                    LOG.warn("VM {}: warm start from template {} failed ({}); deleting the template and booting", vm.name(),
                            template.get().name(), e.getMessage());
                    warm.deleteTemplate(template.get());
                    return create(coldCopy(p), ctx);
                }
            }
            throw e;
        }
    }

    /** The snapshot a create clones, checked before anything is reserved: it exists, is complete and loads here. */
    private CloneOrigin cloneOrigin(CreateParams p) {
        VmRequests.cloneOptions(p);
        return snapshots.cloneOrigin(p.fromSnapshot());
    }

    /** The same create, booting: after a warm start that failed. */
    private static CreateParams coldCopy(CreateParams p) {
        return new CreateParams(p.name(), p.image(), p.kernel(), p.vcpu(), p.memory(), p.diskSize(), p.noStart(), p.nat(), p.isolate(),
                p.ports(), null, true);
    }

    /** Deletes the warm-start templates of an image before the image itself (see {@link WarmStart#deleteTemplatesOf}). */
    public void deleteTemplatesOf(String imageRef) {
        warm.deleteTemplatesOf(imageRef);
    }

    /** Daemon shutdown: no more template builds; one in progress is interrupted and undoes itself. */
    public void close() {
        warm.close();
    }

    // ---- lifecycle ----

    public VmInfo start(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (now.running()) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "VM " + now.name() + " is already running");
            }
            return machines.startVMLocked(now, ctx);
        });
    }

    public VmInfo stop(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            VmHandles h = machines.requireRunning(find(vm.id()));
            if (machines.isPaused(vm.id())) {
                machines.resumeLocked(vm, h); // a paused guest cannot sync its disks nor power off
            }
            ctx.progress("power off");
            try {
                machines.ssh().exec(vm.guestIp(), ReadinessStep.SSH_PORT, machines.driver().exitsOnGuestReboot() ? REBOOT : POWEROFF, VmMachines.DIAL_TIMEOUT, VmMachines.DIAL_TIMEOUT.multipliedBy(2));
            } catch (RuntimeException e) {
                LOG.info("VM {}: no clean poweroff over SSH ({}); killing it", vm.name(), e.getMessage());
            }
            if (h.machine() != null && !machines.driver().awaitExit(h.machine(), STOP_GRACE)) {
                LOG.warn("VM {} did not power off within {} s; killing it", vm.name(), STOP_GRACE.toSeconds());
            }
            ctx.progress("tear down");
            machines.teardownToStopped(vm, h);
            return show(vm.id());
        });
    }

    public VmInfo kill(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            VmHandles h = machines.requireRunning(find(vm.id()));
            ctx.progress("kill");
            machines.teardownToStopped(vm, h);
            return show(vm.id());
        });
    }

    /** Stops the guest's vCPUs; memory, disks and network stay. Pausing a paused VM changes nothing. */
    public VmInfo pause(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            VmHandles h = machines.requireRunning(find(vm.id()));
            ctx.progress("pause");
            machines.pauseLocked(vm, h);
            return show(vm.id());
        });
    }

    /** Runs a paused guest on from where it stopped. Resuming a VM that runs changes nothing. */
    public VmInfo resume(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            VmHandles h = machines.requireRunning(find(vm.id()));
            ctx.progress("resume");
            machines.resumeLocked(vm, h);
            return show(vm.id());
        });
    }

    // ---- snapshots ({@link Snapshots}) ----

    /** A live snapshot of a running VM (see {@link Snapshots#snapshot}). */
    public SnapshotInfo snapshot(SnapshotParams p, OperationContext ctx) {
        VmInfo vm = find(required(p.name()));
        return snapshots.snapshot(vm, p.snapshot() == null ? null : VmRequests.snapshotName(p.snapshot()), ctx);
    }

    /** Every snapshot, or those of one VM. */
    public List<SnapshotInfo> snapshots(String vmRef) {
        return snapshots(vmRef, false);
    }

    /** As above; {@code templates}: the warm-start templates too. */
    public List<SnapshotInfo> snapshots(String vmRef, boolean templates) {
        return snapshots.list(vmRef, templates);
    }

    /** Deletes a snapshot no VM was cloned from (see {@link Snapshots#delete}). */
    public SnapshotInfo deleteSnapshot(String ref) {
        return snapshots.delete(ref);
    }

    /** Rolls the VM back to one of its snapshots in place (see {@link Snapshots#restore}). */
    public VmInfo restore(SnapshotParams p, OperationContext ctx) {
        return snapshots.restore(p.name(), p.snapshot(), ctx);
    }

    /** A stop and a start under one hold of the VM's lock: the guest boots afresh (new boot_id). */
    public VmInfo restart(String ref, OperationContext ctx) {
        VmInfo vm = find(ref);
        return machines.locks().with(vm.id(), () -> {
            if (find(vm.id()).running()) {
                stop(vm.id(), ctx);
            }
            return machines.startVMLocked(find(vm.id()), ctx);
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
        VmInfo deleted = machines.locks().with(vm.id(), () -> {
            VmInfo now = find(vm.id());
            if (!force && now.running()) { // the row says running for a paused VM too
                throw BangerException.invalidArgument("VM " + now.name() + " is " + withRuntime(now).state()
                        + ": stop it first, or delete it with -f/--force");
            }
            // Not running: handles.json may still name what a failed start's incomplete undo left.
            VmHandles h = Optional.ofNullable(machines.handles(now.id())).or(() -> machines.recordedHandles(now)).orElse(null);
            ctx.progress(now.running() ? "kill" : "clean up");
            machines.teardown(now, h);
            ctx.progress("remove disks");
            Uncancellable.run("removal of VM " + now.name() + "'s files", () -> FileTrees.deleteQuietly(vmDir(now.id())));
            machines.ssh().forget(List.of(now.guestIp(), now.name() + ".vm"));
            store.vms().delete(now.id()); // its snapshots stay: clones may be made of them (vm snapshot delete removes them)
            return now.withRuntime(null);
        });
        machines.locks().forget(vm.id());
        if (deleted.fromSnapshot() != null) {
            warm.deleteRetiredTemplate(deleted.fromSnapshot());
        }
        return deleted;
    }

    public VmInfo set(SetParams p) {
        VmInfo vm = find(required(p.name()));
        return machines.locks().with(vm.id(), () -> {
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
        machines.requireAnswering(vm);
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
        machines.requireAnswering(vm);
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
        machines.requireAnswering(vm);
        return new PortsInfo(vm.name(), new GuestPorts(machines.ssh(), ReadinessStep.SSH_PORT).list(vm.name(), vm.guestIp(), ctx::progress),
                forwards.list(vm).forwards());
    }

    // ---- published ports ----

    public ForwardsInfo forwardAdd(ForwardParams p) {
        VmInfo vm = find(required(p.name()));
        return machines.locks().with(vm.id(), () -> forwards.add(find(vm.id()), p.spec()));
    }

    public ForwardsInfo forwardRemove(ForwardParams p) {
        VmInfo vm = find(required(p.name()));
        return machines.locks().with(vm.id(), () -> forwards.remove(find(vm.id()), p.spec()));
    }

    public ForwardsInfo forwardList(String ref) {
        return forwards.list(find(ref));
    }

    /** Counters of the VMs named (each must exist; a stopped one reads as zeros), or of every running VM when none is named. */
    public Stats stats(StatsParams p) {
        List<VmInfo> vms = p.names() == null || p.names().isEmpty()
                ? store.vms().list().stream().filter(VmInfo::running).toList()
                : p.names().stream().map(this::find).toList();
        return new Stats(vms.stream().map(vm -> statsSampler.sample(vm, machines.handles(vm.id()))).toList());
    }

    // ---- reconcile ----

    /** After a daemon (re)start: adopt what still runs, settle the rest, sweep leftovers (see {@link Reconciler#run}). */
    public void reconcile() {
        reconciler.run();
    }

    // ---- helpers ----

    private VmInfo find(String ref) {
        return machines.find(ref);
    }

    private VmInfo withRuntime(VmInfo vm) {
        return machines.withRuntime(vm);
    }

    private Path vmDir(String id) {
        return machines.vmDir(id);
    }

    private static String required(String ref) {
        return VmMachines.required(ref);
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
