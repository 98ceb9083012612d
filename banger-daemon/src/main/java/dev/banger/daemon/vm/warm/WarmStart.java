package dev.banger.daemon.vm.warm;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.SnapshotInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.BootableImage;
import dev.banger.daemon.image.rootfs.GuestInjector;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.ops.Uncancellable;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.Store;
import dev.banger.daemon.vm.boot.ReadinessStep;
import dev.banger.daemon.vm.boot.VmHandles;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.machine.VmMachines;
import dev.banger.daemon.vm.snapshot.Snapshots;
import dev.banger.daemon.vm.snapshot.files.SnapshotFiles;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm start: which template a create could start from, whether it is usable, the template builds
 * (a hidden VM booted, settled and snapshotted) and the deletes of templates (retired while VMs
 * run over their files). The create itself, and its fall-back to a boot, are the front's.
 */
public final class WarmStart implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WarmStart.class);
    /** How a template guest waits for its init's start-up jobs; see {@link #settle}. */
    static final String SETTLE = "if command -v systemctl >/dev/null 2>&1; then systemctl is-system-running --wait >/dev/null 2>&1; fi; true";
    static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);

    private final VmMachines machines;
    private final Store store;
    private final Snapshots snapshots;
    private final SnapshotFiles files;
    private final TemplateBuilds builds;
    private final boolean enabled;
    /** Images (by id) whose guest init has no identity agent: found at a template build, never built again. */
    private final Set<String> withoutAgent = ConcurrentHashMap.newKeySet();

    /** {@code enabled}: the host's {@code warm_start} setting. */
    public WarmStart(VmMachines machines, Store store, Snapshots snapshots, SnapshotFiles files, TemplateBuilds builds, boolean enabled) {
        this.machines = machines;
        this.store = store;
        this.snapshots = snapshots;
        this.files = files;
        this.builds = builds;
        this.enabled = enabled;
    }

    /**
     * The key of the template this create could start from, or null when it boots whatever
     * templates exist: {@code warm_start = false}, {@code --cold}, {@code --no-start} (a later
     * start boots), or a hypervisor that cannot give a clone its identity (Firecracker). Logged when a
     * user's wish is not why.
     */
    public TemplateKey key(boolean cold, boolean noStart, BootableImage image, int vcpu, int memoryMib, long diskBytes) {
        if (!enabled || cold || noStart) {
            return null;
        }
        HypervisorDriver d = machines.driver();
        if (!d.supportsIdentityChannel()) { // a warm start is a clone
            LOG.info("warm start skipped: the {} driver cannot give a restored guest its own identity; booting", d.name());
            return null;
        }
        if (withoutAgent.contains(image.image().id())) {
            return null; // said once, when its template build found out
        }
        return TemplateKey.of(image.image(), image.kernel(), GuestInjector.filesVersion(), vcpu, memoryMib, diskBytes, d.name(),
                d.stateFormat(), SnapshotFiles.FORMAT);
    }

    /** The template of this key when its files are complete and this host loads its state; a broken one is deleted. */
    public Optional<SnapshotInfo> usableTemplate(TemplateKey key) {
        Optional<SnapshotInfo> template = store.snapshots().template(key.digest());
        if (template.isEmpty()) {
            return template;
        }
        try {
            snapshots.originOf(template.get());
            return template;
        } catch (BangerException e) {
            LOG.warn("template {} is unusable ({}); deleting it, booting, and building it again", template.get().name(), e.getMessage());
            deleteTemplate(template.get());
            return Optional.empty();
        }
    }

    /** Queues a template build of this key unless one is queued or running; never delays the caller. */
    public void queueTemplate(BootableImage image, int vcpu, int memoryMib, long diskBytes, TemplateKey key) {
        String what = "image " + image.image().name() + " (" + vcpu + " vCPU, " + memoryMib + " MiB)";
        if (!builds.submit(key, what, () -> buildTemplate(image, vcpu, memoryMib, diskBytes, key))) {
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
        VmInfo vm = machines.reserveVM("tpl-" + Ids.newId().substring(0, 10), image.image(), vcpu, memoryMib, diskBytes, false, true,
                null, true);
        String name = "template-" + image.image().name() + "-" + key.digest().substring(0, 12);
        SnapshotInfo made;
        try {
            made = machines.locks().with(vm.id(), () -> {
                machines.startVMLocked(vm, image, ctx, null, builds.lowPriority());
                settle(vm);
                requireIdentityAgent(vm, image.image());
                return snapshots.take(vm, machines.handles(vm.id()), name, key.digest(), ctx);
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
    public void deleteTemplate(SnapshotInfo template) {
        machines.locks().with(template.vmId(), () -> {
            List<String> clones = store.snapshots().deleteUnlessCloned(template.id());
            if (clones.isEmpty()) {
                files.delete(template.id());
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
            machines.ssh().exec(vm.guestIp(), ReadinessStep.SSH_PORT, SETTLE, VmMachines.DIAL_TIMEOUT, SETTLE_TIMEOUT);
            LOG.info("template VM {}: settled in {} ms", vm.name(), (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            LOG.info("template VM {}: not settled ({}); snapshotting as it is", vm.name(), e.getMessage());
        }
    }

    /**
     * Refuses to keep a template of an image whose guest init has no identity agent (made by a
     * banger from before clones): each clone of it would wait the identity step's 60 s in vain
     * before booting. The image is remembered, so its creates boot without queuing another build.
     */
    private void requireIdentityAgent(VmInfo vm, ImageInfo image) {
        int exit = machines.ssh().exec(vm.guestIp(), ReadinessStep.SSH_PORT, GuestInjector.IDENTITY_AGENT_CHECK,
                VmMachines.DIAL_TIMEOUT, SETTLE_TIMEOUT).exitCode();
        if (exit != 0) {
            withoutAgent.add(image.id());
            throw new BangerException(ErrorCode.OPERATION_FAILED, "image " + image.name() + "'s guest init has no identity agent"
                    + " (the image was made by an older banger), so a clone of it could not take its own address and keys: its VMs"
                    + " boot instead of starting warm; pull or build it again for warm starts");
        }
    }

    /** After a VM's delete: the retired template it was started from, once no other VM runs over it. */
    public void deleteRetiredTemplate(String snapshotId) {
        store.snapshots().retired(snapshotId).ifPresent(this::deleteTemplate);
    }

    /** A template build's hidden VM, whatever state it got to: process and host side, dir, row. */
    private void removeHiddenVm(VmInfo vm) {
        machines.locks().with(vm.id(), () -> {
            VmHandles h = Optional.ofNullable(machines.handles(vm.id())).or(() -> machines.recordedHandles(vm)).orElse(null);
            machines.teardown(vm, h);
            Uncancellable.run("removal of template VM " + vm.name() + "'s files", () -> FileTrees.deleteQuietly(machines.vmDir(vm.id())));
            store.vms().delete(vm.id());
            return null;
        });
        machines.locks().forget(vm.id());
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
    public void settleHiddenVm(VmInfo vm) {
        machines.teardown(vm, machines.recordedHandles(vm).orElse(null));
        FileTrees.deleteQuietly(machines.vmDir(vm.id()));
        store.vms().delete(vm.id());
        LOG.warn("template VM {}: its build was cut short by the previous daemon's exit; removed", vm.name());
    }

    /** Daemon shutdown: no more template builds; one in progress is interrupted and undoes itself. */
    @Override
    public void close() {
        builds.close();
    }
}
