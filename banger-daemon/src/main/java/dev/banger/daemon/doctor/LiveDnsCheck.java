package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.network.dns.VmDns;
import java.util.ArrayList;
import java.util.List;

/**
 * Inside bangerd: its DNS server's own account of the listener and of the {@code ~vm} route in
 * systemd-resolved. A problem is a WARN: VMs run, only their names do not resolve.
 */
record LiveDnsCheck(VmDns dns) implements Check {

    @Override
    public String name() {
        return "dns listener";
    }

    @Override
    public DoctorCheck run() {
        List<String> found = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        boolean ok = true;
        for (VmDns.Check c : dns.checks()) {
            ok &= c.ok();
            for (String line : c.detail()) {
                if (line.startsWith("fix: ")) {
                    fix.add(line.substring("fix: ".length()));
                } else {
                    found.add(c.name().replaceFirst("^dns: ", "") + ": " + line);
                }
            }
        }
        return new DoctorCheck(name(), ok ? DoctorCheck.PASS : DoctorCheck.WARN, found, ok ? List.of() : fix);
    }
}
