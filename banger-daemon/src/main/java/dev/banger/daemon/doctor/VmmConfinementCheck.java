package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.vm.hypervisor.QemuSandbox;
import dev.banger.daemon.vm.hypervisor.VmmUser;
import java.util.ArrayList;
import java.util.List;

/**
 * What a VMM escape would land as: the {@code vmm_user} account (missing: FAIL, VM starts fail;
 * {@code root}: WARN), QEMU's seccomp filter (absent from the host's QEMU: WARN, VMs start without
 * it), and a Firecracker jailer turned off by the config (WARN).
 */
record VmmConfinementCheck(VmSettings vm, ToolProbe tools, CommandRunner runner) implements Check {

    @Override
    public String name() {
        return "vmm confinement";
    }

    @Override
    public DoctorCheck run() {
        List<String> details = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        try {
            VmmUser user = VmmUser.lookUp(vm.vmmUser(), runner);
            if (user.isRoot()) {
                warnings.add("vmm_user = \"root\": VMMs run as root, so a VMM escape is root");
            } else {
                details.add("vmm_user " + user.name() + ": uid " + user.uid() + " gid " + user.gid());
            }
        } catch (BangerException e) {
            return DoctorCheck.fail(name(), List.of(e.getMessage()), "useradd --system --no-create-home --shell /usr/sbin/nologin"
                    + " --user-group " + vm.vmmUser(), "or run `banger system install` (it creates banger-vmm)");
        }
        if (!vm.hypervisor().equals("firecracker")) {
            tools.locate(vm.qemuBin()).ifPresent(qemu -> {
                if (QemuSandbox.supported(qemu, runner)) {
                    details.add("QEMU seccomp: -sandbox " + QemuSandbox.OPTIONS);
                } else {
                    warnings.add(qemu + " has no seccomp support (-sandbox): VMs start without QEMU's system call filter");
                }
            });
        }
        if (!vm.hypervisor().equals("qemu") && vm.firecracker().jailerRefused()) {
            warnings.add("jailer_enabled = false: Firecracker runs unjailed, as root");
        }
        if (warnings.isEmpty()) {
            return new DoctorCheck(name(), DoctorCheck.PASS, details, List.of());
        }
        details.addAll(warnings);
        return DoctorCheck.warn(name(), details, "set vmm_user to an unprivileged account (default banger-vmm)",
                "a QEMU built with seccomp (Debian's qemu-system-x86 is)", "leave jailer_enabled unset or true");
    }
}
