package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.vm.hypervisor.Acceleration;
import dev.banger.daemon.vm.hypervisor.AccelerationProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether guests get hardware virtualisation: the CPU's vmx/svm flag, {@code /dev/kvm} and its
 * access, and the driver's recorded probe ({@code hypervisor-probe.json}: a KVM that failed to run
 * a guest). A {@code /dev/kvm} without vmx/svm is a software KVM such as PVM, told apart from real
 * KVM here exactly as the QEMU driver decides ({@link AccelerationProbe}).
 */
record AccelerationCheck(AccelerationProbe probe, Path kvmDevice, Path cpuinfo, Path probeRecord) implements Check {

    static AccelerationCheck forHost(Path stateDir) {
        Path record = stateDir.resolve("hypervisor-probe.json");
        return new AccelerationCheck(AccelerationProbe.forHost(stateDir), Path.of("/dev/kvm"), Path.of("/proc/cpuinfo"), record);
    }

    @Override
    public String name() {
        return "acceleration";
    }

    @Override
    public DoctorCheck run() throws IOException {
        List<String> found = new ArrayList<>();
        String flags = Files.readString(cpuinfo).lines().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        List<String> words = List.of(flags.replaceFirst("^flags\\s*:", "").strip().split("\\s+"));
        found.add("CPU virtualisation flag: " + (words.contains("vmx") ? "vmx (Intel VT-x)" : words.contains("svm") ? "svm (AMD-V)" : "none"));
        found.add(kvmDevice + ": " + (!Files.exists(kvmDevice) ? "absent"
                : Files.isReadable(kvmDevice) && Files.isWritable(kvmDevice) ? "present, read-write for this user" : "present, not read-write for this user"));
        found.add("recorded probe (" + probeRecord + "): " + (Files.exists(probeRecord) ? Files.readString(probeRecord).strip() : "none"));
        Acceleration a = probe.probe();
        found.add("guests run under " + a.mode().toUpperCase(java.util.Locale.ROOT) + ": " + a.reason());
        if (a.isKvm()) {
            return new DoctorCheck(name(), DoctorCheck.PASS, found, List.of());
        }
        List<String> fix = new ArrayList<>();
        if (Files.exists(probeRecord)) {
            fix.add("delete " + probeRecord + " to let the next VM start try KVM again");
        }
        fix.add("for KVM: a host with Intel VT-x or AMD-V enabled in the firmware (on a cloud VM: nested virtualisation), "
                + "and bangerd running as root");
        return new DoctorCheck(name(), DoctorCheck.WARN, found, fix);
    }
}
