package dev.banger.daemon.vm.hypervisor;

import dev.banger.core.config.FirecrackerSettings;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.HostPrograms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What this host has of what Firecracker needs, as findings with fixes and no printing: the
 * binary, its version against {@link FirecrackerVersion#SUPPORTED_RANGE} ({@code firecracker
 * --version}, nothing is started), the jailer when it is enabled, and a KVM that runs guests.
 */
public final class FirecrackerProbe {

    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(10);

    private final FirecrackerSettings settings;
    private final CommandRunner runner;
    private final AccelerationProbe kvm;

    FirecrackerProbe(FirecrackerSettings settings, CommandRunner runner, AccelerationProbe kvm) {
        this.settings = settings;
        this.runner = runner;
        this.kvm = kvm;
    }

    /** {@code stateDir}: where a KVM that failed to run a guest is remembered. */
    public static FirecrackerProbe forHost(FirecrackerSettings settings, CommandRunner runner, Path stateDir) {
        return new FirecrackerProbe(settings, runner, AccelerationProbe.forHost(stateDir));
    }

    public List<HostFinding> findings() {
        List<HostFinding> findings = new ArrayList<>();
        Optional<Path> binary = HostPrograms.locate(settings.firecrackerBin());
        String install = "install a Firecracker release " + FirecrackerVersion.SUPPORTED_RANGE
                + " from github.com/firecracker-microvm/firecracker/releases, or set firecracker_bin to its path";
        if (binary.isEmpty()) {
            findings.add(HostFinding.problem("firecracker binary", "`" + settings.firecrackerBin() + "` (firecracker_bin) is not "
                    + "installed or not executable", install));
        } else {
            findings.add(HostFinding.ok("firecracker binary", binary.get().toString()));
            findings.add(version(binary.get(), install));
        }
        findings.add(jailer());
        Acceleration accel = kvm.probe();
        findings.add(accel.isKvm() ? HostFinding.ok("kvm", accel.reason())
                : HostFinding.problem("kvm", accel.reason(), "Firecracker runs only on a KVM with hardware virtualisation (vmx or "
                + "svm, /dev/kvm read-write for the daemon); on this host use hypervisor = \"qemu\""));
        return findings;
    }

    private HostFinding version(Path binary, String install) {
        CommandResult r;
        try {
            r = runner.runAllowingFailure(Command.of(binary.toString(), "--version").withTimeout(VERSION_TIMEOUT));
        } catch (RuntimeException e) {
            return HostFinding.problem("firecracker version", binary + " --version failed: " + e.getMessage(), install);
        }
        Optional<FirecrackerVersion> v = FirecrackerVersion.find(r.stdout());
        if (!r.ok() || v.isEmpty()) {
            return HostFinding.problem("firecracker version", binary + " --version gave no version (exit status " + r.exitCode()
                    + "): " + (r.stdout() + r.stderr()).strip(), install);
        }
        String snapshots = v.get().compareTo(FirecrackerVersion.SNAPSHOTS_SINCE) < 0
                ? "; vm snapshot needs >= " + FirecrackerVersion.SNAPSHOTS_SINCE : "";
        return v.get().supported() ? HostFinding.ok("firecracker version", v.get() + ", within " + FirecrackerVersion.SUPPORTED_RANGE
                + snapshots)
                : HostFinding.problem("firecracker version", v.get() + " is not supported: banger drives Firecracker "
                + FirecrackerVersion.SUPPORTED_RANGE, install);
    }

    private HostFinding jailer() {
        if (settings.jailerRefused()) {
            return HostFinding.ok("jailer", "off (jailer_enabled = false): Firecracker runs as root, unjailed");
        }
        String ids = settings.jailerUid() != null && settings.jailerGid() != null
                ? "uid " + settings.jailerUid() + " gid " + settings.jailerGid() : "the vmm_user account's uid and gid";
        return HostPrograms.locate(settings.jailerBin())
                .map(p -> HostFinding.ok("jailer", p + ", dropping to " + ids))
                .orElseGet(() -> Boolean.TRUE.equals(settings.jailerEnabled())
                        ? HostFinding.problem("jailer", "`" + settings.jailerBin() + "` (jailer_bin) is not installed or not "
                                + "executable", "install the jailer of the same Firecracker release, or set jailer_enabled = false")
                        : HostFinding.ok("jailer", "`" + settings.jailerBin() + "` (jailer_bin) is not installed: Firecracker would run"
                                + " unjailed as root; install the jailer of the same Firecracker release"));
    }
}
