package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Firecracker and jailer binaries and their versions against the supported range. Looked up
 * on PATH by name; when the Firecracker driver's {@code firecracker_bin}/{@code jailer_bin} keys
 * land, {@link #firecrackerBin}/{@link #jailerBin} take their values.
 */
record FirecrackerCheck(VmSettings vm, ToolProbe tools, String firecrackerBin, String jailerBin) implements Check {

    static final Version OLDEST = Version.of("1.5.0");
    static final Version NEWEST_TESTED = Version.of("1.14.1");
    static final String RELEASES = "https://github.com/firecracker-microvm/firecracker/releases";

    FirecrackerCheck(VmSettings vm, ToolProbe tools) {
        this(vm, tools, "firecracker", "jailer");
    }

    @Override
    public String name() {
        return "hypervisor firecracker";
    }

    @Override
    public DoctorCheck run() {
        boolean required = vm.hypervisor().equals("firecracker");
        Optional<Path> fc = tools.locate(firecrackerBin);
        Optional<Path> jailer = tools.locate(jailerBin);
        if (fc.isEmpty() || jailer.isEmpty()) {
            List<String> found = new ArrayList<>();
            if (fc.isEmpty()) found.add(firecrackerBin + ": not found on PATH");
            if (jailer.isEmpty()) found.add(jailerBin + ": not found on PATH");
            if (!required) {
                found.add("optional: hypervisor = " + vm.hypervisor() + " runs VMs under QEMU without it");
                return new DoctorCheck(name(), DoctorCheck.PASS, found, List.of());
            }
            return DoctorCheck.fail(name(), found, "install firecracker and jailer " + OLDEST + " to " + NEWEST_TESTED
                    + " from " + RELEASES + " into /usr/local/bin", "or set hypervisor = \"qemu\" (or \"auto\") in bangerd's config");
        }
        List<String> found = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        String worst = DoctorCheck.PASS;
        for (Path bin : List.of(fc.get(), jailer.get())) {
            Optional<String> line = tools.firstLine(bin, "--version");
            Optional<Version> v = line.flatMap(Version::find);
            if (v.isEmpty()) {
                found.add(bin + " --version: " + line.orElse("failed"));
                fix.add("reinstall " + bin.getFileName() + " from " + RELEASES);
                worst = DoctorCheck.FAIL;
            } else if (v.get().compareTo(OLDEST) < 0) {
                found.add(bin + ": " + v.get() + " is older than " + OLDEST + ", the oldest banger supports");
                fix.add("install " + bin.getFileName() + " " + OLDEST + " to " + NEWEST_TESTED + " from " + RELEASES);
                worst = DoctorCheck.FAIL;
            } else if (v.get().compareTo(NEWEST_TESTED) > 0) {
                found.add(bin + ": " + v.get() + " is newer than " + NEWEST_TESTED + ", the newest banger was tested with");
                fix.add("if VMs fail to start, install " + bin.getFileName() + " " + NEWEST_TESTED);
                if (!worst.equals(DoctorCheck.FAIL)) worst = DoctorCheck.WARN;
            } else {
                found.add(bin + ": " + v.get());
            }
        }
        return new DoctorCheck(name(), worst, found, fix);
    }
}
