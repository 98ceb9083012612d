package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.network.nat.NatRules;
import java.util.ArrayList;
import java.util.List;

/**
 * Guests created with {@code --nat} need a masquerade rule and IPv4 forwarding. Asks the NAT code
 * itself which tool it would use (nftables, or iptables where FORWARD drops by default), so doctor
 * and {@code vm create --nat} judge the host the same way.
 */
record NatCheck(NatRules nat) implements Check {

    @Override
    public String name() {
        return "nat";
    }

    @Override
    public DoctorCheck run() {
        List<String> found = new ArrayList<>();
        NatRules.Choice choice;
        try {
            choice = nat.choose();
        } catch (BangerException e) {
            found.add(e.getMessage());
            return DoctorCheck.warn(name(), found, "apt-get install nftables (or iptables): without either, `--nat` is refused");
        }
        found.add(choice.backend() + ": " + choice.program() + " (" + choice.reason() + ")");
        found.add(nat.forwarding() ? "net.ipv4.ip_forward = 1"
                : "net.ipv4.ip_forward = 0: bangerd turns it on at the first start of a VM with --nat, and leaves it on");
        return new DoctorCheck(name(), DoctorCheck.PASS, found, List.of());
    }
}
