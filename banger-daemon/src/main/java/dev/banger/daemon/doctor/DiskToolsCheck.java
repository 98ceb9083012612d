package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The tools that build, check and grow disk images, each with the Debian package that has it. */
record DiskToolsCheck(ToolProbe tools) implements Check {

    static final Map<String, String> TOOLS = toolPackages();

    private static Map<String, String> toolPackages() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qemu-img", "qemu-utils");
        m.put("mkfs.ext4", "e2fsprogs");
        m.put("debugfs", "e2fsprogs");
        m.put("e2fsck", "e2fsprogs");
        m.put("resize2fs", "e2fsprogs");
        return m;
    }

    @Override
    public String name() {
        return "disk tools";
    }

    @Override
    public DoctorCheck run() {
        List<String> found = new ArrayList<>();
        Set<String> packages = new LinkedHashSet<>();
        TOOLS.forEach((tool, pkg) -> {
            var p = tools.locate(tool);
            found.add(tool + ": " + p.map(Object::toString).orElse("not found"));
            if (p.isEmpty()) {
                packages.add(pkg);
            }
        });
        return packages.isEmpty() ? new DoctorCheck(name(), DoctorCheck.PASS, found, List.of())
                : DoctorCheck.fail(name(), found, "apt-get install " + String.join(" ", packages));
    }
}
