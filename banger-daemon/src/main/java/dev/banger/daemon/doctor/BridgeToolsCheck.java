package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The bridge and the taps are made with iproute2's {@code ip}; reports whether the bridge exists yet. */
record BridgeToolsCheck(VmSettings vm, ToolProbe tools, Path sysClassNet) implements Check {

    BridgeToolsCheck(VmSettings vm, ToolProbe tools) {
        this(vm, tools, Path.of("/sys/class/net"));
    }

    @Override
    public String name() {
        return "bridge and tap tools";
    }

    @Override
    public DoctorCheck run() {
        Optional<Path> ip = tools.locate("ip");
        if (ip.isEmpty()) {
            return DoctorCheck.fail(name(), List.of("ip: not found"), "apt-get install iproute2");
        }
        String bridge = vm.bridgeName() + " (" + vm.bridgeIp() + "/" + vm.cidr() + "): "
                + (Files.exists(sysClassNet.resolve(vm.bridgeName())) ? "present" : "not yet made (the first VM start makes it)");
        return DoctorCheck.pass(name(), ip.get() + ": " + tools.firstLine(ip.get(), "-V").orElse("version unknown"), "bridge " + bridge);
    }
}
