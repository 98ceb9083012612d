package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.store.StoreSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The "/root work disk" feature: every VM's /root is its own ext4 disk, cloned from the image's
 * work-seed or, without one, made with {@code truncate} + {@code mkfs.ext4}, and then empty.
 */
record WorkDiskCheck(ToolProbe tools, StoreReading store) implements Check {

    @Override
    public String name() {
        return "/root work disk";
    }

    @Override
    public DoctorCheck run() {
        List<String> found = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        String status = DoctorCheck.PASS;
        for (String tool : List.of("truncate", "mkfs.ext4")) {
            Optional<Path> p = tools.locate(tool);
            found.add(tool + ": " + p.map(Path::toString).orElse("not found"));
            if (p.isEmpty()) {
                status = DoctorCheck.FAIL;
                fix.add("apt-get install " + (tool.equals("truncate") ? "coreutils" : "e2fsprogs"));
            }
        }
        StoreSnapshot s = store.snapshot();
        if (s != null) {
            for (StoreSnapshot.ImageSummary i : s.images()) {
                if (!i.hasWorkSeed()) {
                    found.add("image " + i.name() + " has no work-seed: guest /root will be empty");
                    if (status.equals(DoctorCheck.PASS)) {
                        status = DoctorCheck.WARN;
                    }
                }
            }
            if (status.equals(DoctorCheck.WARN)) {
                fix.add("pull such an image again (banger image pull), or promote an unmanaged one (banger image promote NAME): both build a work-seed");
            }
        }
        return new DoctorCheck(name(), status, found, fix);
    }
}
