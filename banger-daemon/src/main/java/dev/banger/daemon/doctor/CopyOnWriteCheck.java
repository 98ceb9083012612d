package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * How a VM's root disk will share blocks with its image (RootDisks' order): a qcow2 overlay for
 * QEMU, else a reflink clone where the state dir's filesystem has them (btrfs, XFS), else a
 * sparse copy of the whole image at each VM's first start.
 */
record CopyOnWriteCheck(VmSettings vm, Path stateDir, ToolProbe tools) implements Check {

    static final Set<String> REFLINK_FILESYSTEMS = Set.of("btrfs", "xfs", "bcachefs", "ocfs2");

    @Override
    public String name() {
        return "copy-on-write disks";
    }

    @Override
    public DoctorCheck run() throws IOException {
        Path existing = stateDir.toAbsolutePath();
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        String fs = Files.getFileStore(existing).type();
        boolean reflink = REFLINK_FILESYSTEMS.contains(fs);
        String raw = reflink ? "reflink clone (" + fs + (fs.equals("xfs") ? ", made with reflink=1, the default since xfsprogs 5.1" : "") + ")"
                : "sparse copy: " + fs + " has no reflink, so each VM's first start copies the whole image";
        String fsLine = "state dir " + stateDir + " is on " + fs;
        if (!vm.hypervisor().equals("firecracker")) {
            boolean qemuImg = tools.locate("qemu-img").isPresent();
            if (qemuImg) {
                return DoctorCheck.pass(name(), fsLine, "QEMU: qcow2 overlays over the image (qemu-img)", "raw disks (Firecracker): " + raw);
            }
            return DoctorCheck.warn(name(), List.of(fsLine, "qemu-img: not found, so QEMU VMs cannot get their qcow2 overlay"),
                    "apt-get install qemu-utils");
        }
        if (reflink) {
            return DoctorCheck.pass(name(), fsLine, "Firecracker: " + raw);
        }
        return DoctorCheck.warn(name(), List.of(fsLine, "Firecracker: " + raw),
                "put state_dir on btrfs or XFS (reflink=1) for instant clones");
    }
}
