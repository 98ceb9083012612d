package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import java.util.List;

/** banger runs x86_64 guests on x86_64 hosts only (its kernels and images are amd64). */
record ArchitectureCheck(String arch) implements Check {

    static ArchitectureCheck ofThisJvm() {
        return new ArchitectureCheck(System.getProperty("os.arch"));
    }

    @Override
    public String name() {
        return "architecture";
    }

    @Override
    public DoctorCheck run() {
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            return DoctorCheck.pass(name(), "x86_64");
        }
        return DoctorCheck.fail(name(), List.of(arch + ": banger's kernels and images are x86_64 only"),
                "run banger on an x86_64 (amd64) host");
    }
}
