package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.core.config.VmSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The QEMU system emulator the config names ({@code qemu_bin}), and its version. */
record QemuCheck(VmSettings vm, ToolProbe tools) implements Check {

    /** {@code -M microvm} with ACPI-described virtio-mmio devices, which the QEMU driver relies on. */
    static final Version MINIMUM = Version.of("6.0.0");

    @Override
    public String name() {
        return "hypervisor qemu";
    }

    @Override
    public DoctorCheck run() {
        boolean needed = !vm.hypervisor().equals("firecracker");
        Optional<Path> bin = tools.locate(vm.qemuBin());
        if (bin.isEmpty()) {
            List<String> found = List.of("qemu_bin = \"" + vm.qemuBin() + "\": "
                    + (vm.qemuPath() != null ? "no executable file there" : "not found on PATH or in the sbin/bin directories"));
            String[] fix = {"apt-get install qemu-system-x86", "or set qemu_bin in bangerd's config to the emulator's path"};
            return needed ? DoctorCheck.fail(name(), found, fix) : DoctorCheck.warn(name(), found, fix);
        }
        Optional<String> line = tools.firstLine(bin.get(), "--version");
        if (line.isEmpty()) {
            return DoctorCheck.fail(name(), List.of(bin.get() + " --version failed"),
                    "reinstall QEMU (apt-get install --reinstall qemu-system-x86), or point qemu_bin at a working emulator");
        }
        Optional<Version> v = Version.find(line.get());
        if (v.isPresent() && v.get().compareTo(MINIMUM) < 0) {
            return DoctorCheck.fail(name(), List.of(bin.get() + ": " + line.get(), "banger needs QEMU " + MINIMUM + " or newer"),
                    "install a newer qemu-system-x86");
        }
        return DoctorCheck.pass(name(), bin.get() + ": " + line.get(),
                needed ? "hypervisor = " + vm.hypervisor() + ": VMs run under QEMU" : "hypervisor = firecracker: QEMU is not used");
    }
}
