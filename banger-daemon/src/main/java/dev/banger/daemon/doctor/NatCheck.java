package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Guests with NAT need a masquerade rule (nftables or iptables) and IPv4 forwarding. */
record NatCheck(ToolProbe tools, Path ipForward) implements Check {

    NatCheck(ToolProbe tools) {
        this(tools, Path.of("/proc/sys/net/ipv4/ip_forward"));
    }

    @Override
    public String name() {
        return "nat";
    }

    @Override
    public DoctorCheck run() throws IOException {
        List<String> found = new ArrayList<>();
        Optional<Path> nft = tools.locate("nft");
        Optional<Path> iptables = tools.locate("iptables");
        found.add("nft: " + nft.map(Path::toString).orElse("not found"));
        found.add("iptables: " + iptables.map(Path::toString).orElse("not found"));
        String forward = Files.exists(ipForward) ? Files.readString(ipForward).strip() : "unknown";
        found.add("net.ipv4.ip_forward = " + forward + (forward.equals("1") ? "" : " (NAT for guests needs 1; set when a VM with NAT starts)"));
        if (nft.isEmpty() && iptables.isEmpty()) {
            return DoctorCheck.warn(name(), found, "apt-get install nftables (or iptables): without either, VMs with NAT cannot reach the internet");
        }
        return new DoctorCheck(name(), DoctorCheck.PASS, found, List.of());
    }
}
