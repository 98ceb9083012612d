package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.FirecrackerSettings;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor's view of Firecracker's host requirements, against the double's {@code --version}. */
class FirecrackerProbeTest {

    @TempDir
    Path dir;
    final CommandRunner runner = new CommandRunner();

    @Test
    void aHostWithEverythingHasNoProblems() throws IOException {
        FirecrackerDoubleRig fc = new FirecrackerDoubleRig(dir);
        List<HostFinding> findings = new FirecrackerProbe(new FirecrackerSettings(fc.firecrackerBin().toString(),
                fc.jailerBin().toString(), true, 4242, 4343), runner, fc.kvmProbe()).findings();

        assertThat(findings).extracting(HostFinding::check)
                .containsExactly("firecracker binary", "firecracker version", "jailer", "kvm");
        assertThat(findings).allMatch(HostFinding::ok).allMatch(f -> f.fix() == null);
        assertThat(findings.get(1).detail()).isEqualTo("1.10.1, within >= 1.4.0 and < 2.0.0; vm snapshot needs >= 1.12.0");
        assertThat(findings.get(2).detail()).contains("uid 4242 gid 4343");
        fc.version("1.12.0");
        assertThat(new FirecrackerProbe(new FirecrackerSettings(fc.firecrackerBin().toString(), fc.jailerBin().toString(), true, 4242,
                4343), runner, fc.kvmProbe()).findings().get(1).detail()).isEqualTo("1.12.0, within >= 1.4.0 and < 2.0.0");
    }

    @Test
    void eachMissingPieceIsAProblemWithAFix() throws IOException {
        FirecrackerDoubleRig fc = new FirecrackerDoubleRig(dir).version("2.1.0");
        AccelerationProbe noKvm = new AccelerationProbe(dir.resolve("no-kvm"), Path.of("/proc/cpuinfo"), dir.resolve("probe.json"));
        List<HostFinding> findings = new FirecrackerProbe(new FirecrackerSettings(fc.firecrackerBin().toString(),
                "/nonexistent/jailer", true, 4242, 4343), runner, noKvm).findings();

        assertThat(findings.get(1)).satisfies(f -> {
            assertThat(f.ok()).isFalse();
            assertThat(f.detail()).isEqualTo("2.1.0 is not supported: banger drives Firecracker >= 1.4.0 and < 2.0.0");
            assertThat(f.fix()).contains("install a Firecracker release >= 1.4.0 and < 2.0.0");
        });
        assertThat(findings.get(2).ok()).isFalse();
        assertThat(findings.get(2).fix()).contains("set jailer_enabled = false");
        assertThat(findings.get(3).ok()).isFalse();
        assertThat(findings.get(3).fix()).contains("hypervisor = \"qemu\"");

        List<HostFinding> noBinary = new FirecrackerProbe(new FirecrackerSettings("/nonexistent/firecracker", null, false, null, null),
                runner, noKvm).findings();
        assertThat(noBinary).extracting(HostFinding::check).containsExactly("firecracker binary", "jailer", "kvm");
        assertThat(noBinary.getFirst().ok()).isFalse();
        assertThat(noBinary.get(1).ok()).as("the jailer turned off is a choice, not a problem (doctor's vmm row WARNs)").isTrue();
        assertThat(noBinary.get(1).detail()).contains("jailer_enabled = false", "runs as root, unjailed");
    }
}
