package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.vm.hypervisor.FirecrackerProbe;
import dev.banger.daemon.vm.hypervisor.HostFinding;
import java.util.ArrayList;
import java.util.List;

/**
 * The Firecracker driver's own probe (binary, version against the driver's supported range, jailer,
 * KVM) as one row: a FAIL when {@code hypervisor = "firecracker"} and anything is missing; otherwise
 * Firecracker is optional and the row only informs.
 */
record FirecrackerCheck(VmSettings vm, FirecrackerProbe probe) implements Check {

    @Override
    public String name() {
        return "hypervisor firecracker";
    }

    @Override
    public DoctorCheck run() {
        List<HostFinding> findings = probe.findings();
        List<String> details = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        for (HostFinding f : findings) {
            details.add(f.check() + ": " + f.detail());
            if (!f.ok() && !fix.contains(f.fix())) {
                fix.add(f.fix());
            }
        }
        if (fix.isEmpty()) {
            return new DoctorCheck(name(), DoctorCheck.PASS, details, List.of());
        }
        if (!vm.hypervisor().equals("firecracker")) {
            details.add("optional: hypervisor = " + vm.hypervisor() + " runs VMs under QEMU where Firecracker cannot");
            return new DoctorCheck(name(), DoctorCheck.PASS, details, List.of());
        }
        fix.add("or set hypervisor = \"qemu\" (or \"auto\") in bangerd's config");
        return new DoctorCheck(name(), DoctorCheck.FAIL, details, fix);
    }
}
