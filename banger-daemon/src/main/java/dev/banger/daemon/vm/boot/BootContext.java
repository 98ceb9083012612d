package dev.banger.daemon.vm.boot;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.model.VmInfo;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.vm.disk.RootDisk;
import dev.banger.daemon.vm.hypervisor.MachineProcess;
import dev.banger.daemon.vm.snapshot.files.CloneOrigin;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One start of one VM: what it boots (the row, its image and kernel) and what the steps acquired
 * so far. After every step the acquisitions are written to handles.json, so a daemon that dies
 * mid-start leaves a record of exactly what to tear down.
 */
public final class BootContext {

    private final VmInfo vm;
    private final ImageInfo image;
    private final KernelInfo kernel;
    private final Path vmDir;
    private final OperationContext ops;
    private final Instant startedAt;
    private final List<Path> made = new ArrayList<>();
    private RootDisk rootDisk;
    private Path workDisk;
    private String tap;
    private MachineProcess machine;
    private final Path restoreFrom;
    private final CloneOrigin clone;

    public BootContext(VmInfo vm, ImageInfo image, KernelInfo kernel, Path vmDir, OperationContext ops, Instant startedAt) {
        this(vm, image, kernel, vmDir, ops, startedAt, (Path) null);
    }

    /** {@code restoreFrom}: a saved guest state the VM goes on from instead of booting (a snapshot's), or null. */
    public BootContext(VmInfo vm, ImageInfo image, KernelInfo kernel, Path vmDir, OperationContext ops, Instant startedAt,
                       Path restoreFrom) {
        this(vm, image, kernel, vmDir, ops, startedAt, restoreFrom, null);
    }

    /** A clone's first start: its disks made over the snapshot's, its memory the snapshot's. */
    public BootContext(VmInfo vm, ImageInfo image, KernelInfo kernel, Path vmDir, OperationContext ops, Instant startedAt,
                       CloneOrigin clone) {
        this(vm, image, kernel, vmDir, ops, startedAt, clone.state(), clone);
    }

    private BootContext(VmInfo vm, ImageInfo image, KernelInfo kernel, Path vmDir, OperationContext ops, Instant startedAt,
                        Path restoreFrom, CloneOrigin clone) {
        this.restoreFrom = restoreFrom;
        this.clone = clone;
        this.vm = vm;
        this.image = image;
        this.kernel = kernel;
        this.vmDir = vmDir;
        this.ops = ops;
        this.startedAt = startedAt;
    }

    public VmInfo vm() {
        return vm;
    }

    public ImageInfo image() {
        return image;
    }

    public KernelInfo kernel() {
        return kernel;
    }

    public Path vmDir() {
        return vmDir;
    }

    /** The saved state this start loads, or null when it boots. */
    public Path restoreFrom() {
        return restoreFrom;
    }

    /** The snapshot this start clones, or null when it is no clone's first start. */
    public CloneOrigin clone() {
        return clone;
    }

    public RootDisk rootDisk() {
        return rootDisk;
    }

    public Path workDisk() {
        return workDisk;
    }

    public String tap() {
        return tap;
    }

    public MachineProcess machine() {
        return machine;
    }

    void rootDisk(RootDisk disk, boolean madeNow) {
        rootDisk = disk;
        if (madeNow) {
            made.add(disk.path());
        }
    }

    public void workDisk(Path disk, boolean madeNow) {
        workDisk = disk;
        if (madeNow) {
            made.add(disk);
        }
    }

    void tap(String name) {
        tap = name;
    }

    void machine(MachineProcess process) {
        machine = process;
    }

    /** True when this start made {@code file}, so undoing the start removes it. */
    boolean madeNow(Path file) {
        return file != null && made.contains(file);
    }

    void progress(String stage) {
        if (ops != null) {
            ops.progress(stage);
            ops.checkCancelled();
        }
    }

    /** This start's acquisitions as handles.json holds them. */
    public VmHandles handles() {
        return new VmHandles(vm.id(), VmHandles.STARTING, tap, rootDisk == null ? null : rootDisk.path().toString(),
                workDisk == null ? null : workDisk.toString(), made.stream().map(Path::toString).toList(), machine, startedAt,
                clone == null ? null : clone.snapshotId());
    }

    void persist() {
        HandlesFile.write(vmDir, handles());
    }
}
