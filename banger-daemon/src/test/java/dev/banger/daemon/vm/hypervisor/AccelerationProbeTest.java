package dev.banger.daemon.vm.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM-or-TCG rules, on stand-in /dev/kvm and /proc/cpuinfo files. */
class AccelerationProbeTest {

    private static final String VMX_CPU = """
            processor\t: 0
            model name\t: Intel(R) Xeon(R)
            cpu MHz\t\t: 2394.454
            flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep vmx lahf_lm
            """;

    @TempDir
    Path dir;

    @Test
    void withoutDevKvmItIsTcg() throws IOException {
        Acceleration a = probe(null, VMX_CPU).probe();
        assertThat(a.mode()).isEqualTo("tcg");
        assertThat(a.reason()).contains("there is no " + dir.resolve("kvm"), "TCG");
    }

    @Test
    void aDevKvmWithoutVmxOrSvmIsASoftwareKvmAndGetsTcg() throws IOException {
        Acceleration a = probe("rw-------", VMX_CPU.replace(" vmx", "")).probe();
        assertThat(a.mode()).isEqualTo("tcg");
        assertThat(a.reason()).contains("neither the vmx nor the svm CPU flag", "software KVM (such as PVM)", "KVM internal error");
    }

    @Test
    void aDevKvmWithVmxOrSvmIsKvm() throws IOException {
        assertThat(probe("rw-------", VMX_CPU).probe().mode()).isEqualTo("kvm");
        assertThat(probe("rw-------", VMX_CPU.replace(" vmx", " svm")).probe())
                .isEqualTo(new Acceleration("kvm", dir.resolve("kvm") + " is usable and the CPU has svm"));
    }

    @Test
    void aKvmThatFailedBeforeIsRememberedAcrossProbes() throws IOException {
        AccelerationProbe first = probe("rw-------", VMX_CPU);
        first.recordKvmFailure("KVM internal error. Suberror: 1");
        Acceleration a = probe("rw-------", VMX_CPU).probe(); // a new probe, as after a daemon restart
        assertThat(a.mode()).isEqualTo("tcg");
        assertThat(a.reason()).contains("KVM failed here before (KVM internal error. Suberror: 1)",
                "delete " + dir.resolve("state/hypervisor-probe.json"));
        Files.delete(dir.resolve("state/hypervisor-probe.json"));
        assertThat(probe("rw-------", VMX_CPU).probe().mode()).isEqualTo("kvm");
    }

    @Test
    void theTscRateComesFromCpuMhz() throws IOException {
        assertThat(probe(null, VMX_CPU).tscKhz()).isEqualTo(2_394_454L);
        assertThat(probe(null, "processor\t: 0\n").tscKhz()).isEqualTo(AccelerationProbe.FALLBACK_TSC_KHZ);
    }

    @Test
    void thisHostsDevKvmIsJudgedByItsCpuFlags() throws IOException {
        String flags = Files.readString(Path.of("/proc/cpuinfo"));
        Acceleration a = AccelerationProbe.forHost(dir).probe();
        if (!flags.contains(" vmx") && !flags.contains(" svm")) { // host-facts: this machine's KVM is PVM
            assertThat(a.mode()).isEqualTo("tcg");
        }
    }

    /** {@code kvmMode}: permissions of the stand-in /dev/kvm, or null for none. */
    private AccelerationProbe probe(String kvmMode, String cpuinfo) throws IOException {
        Path kvm = dir.resolve("kvm");
        Files.deleteIfExists(kvm);
        if (kvmMode != null) {
            Files.createFile(kvm, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(kvmMode)));
        }
        Path info = dir.resolve("cpuinfo");
        Files.writeString(info, cpuinfo);
        return new AccelerationProbe(kvm, info, dir.resolve("state/hypervisor-probe.json"));
    }
}
