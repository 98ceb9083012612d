package dev.banger.daemon.vm.snapshot;

import dev.banger.core.BuildInfo;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Uncancellable;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.hypervisor.StateSave;
import dev.banger.daemon.vm.identity.IdentityLink;
import dev.banger.daemon.vm.machine.VmMachines;
import dev.banger.daemon.vm.snapshot.files.CloneOrigin;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vm service's snapshots: take (live), list, delete, restore a VM in place, and the checked
 * origin a clone starts from. The files themselves are {@link SnapshotFiles}'; the machines,
 * their locks and boot are {@link VmMachines}'.
 */
public final class Snapshots {

    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
    private static final DateTimeFormatter SNAPSHOT_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final VmMachines machines;
    private final Store store;
    private final ImageService images;
    private final SnapshotFiles files;
    private final Clock clock;

    public Snapshots(VmMachines machines, Store store, ImageService images, SnapshotFiles files, Clock clock) {
        this.machines = machines;
        this.store = store;
        this.images = images;
        this.files = files;
        this.clock = clock;
    }

    /**
     * A live snapshot: the guest's memory and device state saved while it runs on (the hypervisor
     * stops it only for its last pass), then, with the vCPUs still stopped, its disks copied; then
     * it runs on (a VM paused by its user stays paused). Only a running VM: a stopped one has no
     * memory to keep. {@code checkedName}: the name asked for, already checked, or null for one
     * made of the VM's name and the time.
     */
    public SnapshotInfo snapshot(VmInfo vm, String checkedName, OperationContext ctx) {
        String name = checkedName == null ? vm.name() + "-" + SNAPSHOT_STAMP.format(clock.instant()) : checkedName;
        return machines.locks().with(vm.id(), () -> {
            VmInfo now = machines.find(vm.id());
            VmHandles h = machines.handles(now.id());
            if (!now.running() || h == null) {
                throw new BangerException(ErrorCode.NOT_RUNNING, "VM " + now.name() + " is not running (state " + now.state()
                        + "): a snapshot holds a running guest's memory; start it first");
            }
            if (store.snapshots().find(name).isPresent()) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "a snapshot named " + name + " already exists");
            }
            return take(now, h, name, null, ctx);
        });
    }

    /**
     * The snapshot itself, under the VM's lock (the caller holds it). {@code templateKey}: non-null
     * for a warm-start template (hidden from {@code vm snapshot list}).
     */
    public SnapshotInfo take(VmInfo vm, VmHandles h, String name, String templateKey, OperationContext ctx) {
        HypervisorDriver d = machines.driver();
        String id = Ids.newId();
        Path staging = files.staging(id);
        boolean pausedByUser = machines.isPaused(vm.id());
        try {
            ctx.progress("save memory");
            StateSave save;
            long stoppedAt;
            List<String> disks = new ArrayList<>();
            // The guest's identity agent is saved waiting on a connected port: its clones then read their identity at once.
            try (IdentityLink held = d.identitySocket(machines.vmDir(vm.id())).map(IdentityLink::heldForSave).orElse(null)) {
                save = d.saveState(h.machine(), SnapshotFiles.stateFile(staging));
                stoppedAt = System.nanoTime();
                ctx.progress("copy disks");
                for (String disk : new String[] {h.rootDisk(), h.workDisk()}) {
                    if (disk != null) {
                        files.copyDisk(Path.of(disk), staging);
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
                files.rebaseOnto(staging.resolve(disks.getFirst()), Path.of(image.rootfsPath()));
            }
            var now = clock.instant();
            files.writeManifest(staging, new SnapshotFiles.Manifest(SnapshotFiles.FORMAT, BuildInfo.current().version(),
                    d.name(), d.stateFormat(), vm.id(), vm.imageId(), vm.vcpu(), vm.memoryMib(), vm.diskBytes(), disks, now));
            Path dir = files.publish(staging, id);
            SnapshotInfo info = new SnapshotInfo(id, name, vm.id(), vm.name(), vm.imageId(), vm.vcpu(), vm.memoryMib(), vm.diskBytes(),
                    d.name(), d.stateFormat(), save.bytes(), files.sizeOnDisk(dir), pauseMillis, now, false);
            try {
                store.snapshots().insert(info, templateKey);
            } catch (RuntimeException e) {
                files.delete(id);
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

    /** Every snapshot, or those of one VM; {@code templates}: the warm-start templates too. */
    public List<SnapshotInfo> list(String vmRef, boolean templates) {
        return store.snapshots().list(vmRef == null ? null : machines.find(vmRef).id(), templates);
    }

    /** Deletes a snapshot no VM was cloned from (a clone's disks are backed by its files); a template too (it is built again). */
    public SnapshotInfo delete(String ref) {
        SnapshotInfo snap = find(ref);
        return machines.locks().with(snap.vmId(), () -> {
            List<String> clones = store.snapshots().deleteUnlessCloned(snap.id());
            if (!clones.isEmpty()) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is in use: VM" + (clones.size() > 1 ? "s " : " ")
                        + String.join(", ", clones) + " run on disks backed by its files; delete " + (clones.size() > 1 ? "them" : "it")
                        + " first");
            }
            files.delete(snap.id());
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
    public VmInfo restore(String vmRef, String snapshotRef, OperationContext ctx) {
        VmInfo vm = machines.find(VmMachines.required(vmRef));
        if (snapshotRef == null || snapshotRef.isBlank()) {
            throw BangerException.badRequest("a snapshot name is required");
        }
        SnapshotInfo snap = find(snapshotRef);
        return machines.locks().with(vm.id(), () -> {
            VmInfo now = machines.find(vm.id());
            if (snap.vmDeleted()) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is of VM " + snap.vmName() + ", which was deleted:"
                        + " there is nothing to roll back; make a new VM from it (banger vm create --from-snapshot " + snap.name() + ")");
            }
            if (!snap.vmId().equals(now.id())) {
                throw BangerException.badRequest("snapshot " + snap.name() + " is of VM " + snap.vmName() + ", not " + now.name()
                        + ": vm restore rolls back the VM a snapshot was taken of");
            }
            SnapshotFiles.Manifest m = files.verify(snap.id(), snap.name(), machines.driver().stateFormat());
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
                machines.teardownToStopped(now, machines.handles(now.id()));
            }
            ctx.progress("restore disks");
            files.restoreDisks(snap.id(), m, machines.vmDir(now.id()));
            return machines.startVMLocked(machines.find(now.id()), images.bootable(image), ctx,
                    SnapshotFiles.stateFile(files.dirOf(snap.id())), null);
        });
    }

    private static String machine(int vcpu, int memoryMib, long diskBytes) {
        return vcpu + " vCPU, " + memoryMib + " MiB, a " + diskBytes + "-byte work disk";
    }

    /** The snapshot a create clones, checked before anything is reserved: it exists, is complete and loads here. */
    public CloneOrigin cloneOrigin(String ref) {
        SnapshotInfo snap = find(ref);
        HypervisorDriver d = machines.driver();
        if (!d.supportsIdentityChannel()) {
            throw BangerException.badRequest("snapshot " + snap.name() + " cannot start a clone under " + d.name()
                    + ": it has no channel to give a restored guest its own identity (address, host key); "
                    + "use `banger vm restore " + snap.vmName() + " " + snap.name() + "` to roll its own VM back");
        }
        return files.origin(snap.id(), snap.name(), d.stateFormat());
    }

    /** What a clone of this snapshot starts from, checked (complete, loads on this host). */
    public CloneOrigin originOf(SnapshotInfo snap) {
        return files.origin(snap.id(), snap.name(), machines.driver().stateFormat());
    }

    public SnapshotInfo find(String ref) {
        return store.snapshots().find(ref).orElseThrow(() -> BangerException.notFound("snapshot '" + ref + "' not found"));
    }
}
