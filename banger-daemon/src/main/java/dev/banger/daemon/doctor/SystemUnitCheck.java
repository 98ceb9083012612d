package dev.banger.daemon.doctor;

import dev.banger.core.InstallRecord;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.system.Systemd;
import dev.banger.daemon.system.UnitFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * System mode ({@code install.toml} present): the unit is there, active, and keeps the hardening
 * and the VM-preserving settings install wrote. Without an install: one PASS saying so.
 */
record SystemUnitCheck(Path root, Systemd systemd) implements Check {

    /** What keeps VMs running across a daemon restart; losing one of these kills them. */
    static final Map<String, String> KEEPS_VMS = Map.of("KillMode", "process", "Type", "notify");

    @Override
    public String name() {
        return "system install";
    }

    @Override
    public DoctorCheck run() throws Exception {
        Optional<InstallRecord> rec = InstallRecord.read(root);
        if (rec.isEmpty()) {
            return DoctorCheck.pass(name(), "not installed: bangerd runs from `banger daemon start` (sudo banger system install sets up systemd)");
        }
        InstallRecord r = rec.get();
        List<String> found = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        found.add("banger " + r.version() + " for " + r.owner() + " under " + r.prefix() + " (" + InstallRecord.PATH + ")");
        Path unit = InstallRecord.under(root, UnitFile.PATH);
        if (!Files.exists(unit)) {
            found.add(UnitFile.PATH + ": missing");
            return DoctorCheck.fail(name(), found, "sudo banger system install (writes the unit again)");
        }
        Map<String, String> settings = UnitFile.serviceSettings(Files.readString(unit));
        String status = DoctorCheck.PASS;
        List<String> weaker = new ArrayList<>();
        UnitFile.HARDENING.forEach((k, v) -> {
            if (!v.equals(settings.get(k))) weaker.add(k + "=" + settings.getOrDefault(k, "(unset)") + " (install writes " + v + ")");
        });
        KEEPS_VMS.forEach((k, v) -> {
            if (!v.equals(settings.get(k))) weaker.add(k + "=" + settings.getOrDefault(k, "(unset)") + " (install writes " + v + ")");
        });
        if (weaker.isEmpty()) {
            found.add("unit settings: " + String.join(", ", UnitFile.HARDENING.keySet()) + ", KillMode=process as installed");
        } else {
            found.addAll(weaker);
            fix.add("sudo banger system install (rewrites " + UnitFile.PATH + "), or remove the drop-in that changes it");
            status = DoctorCheck.WARN;
        }
        if (!systemd.isPid1()) {
            found.add("PID 1 is not systemd: the unit cannot run on this host");
            fix.add("start bangerd with `banger daemon start`");
            status = DoctorCheck.WARN;
        } else {
            String state = systemd.activeState(UnitFile.NAME);
            found.add(UnitFile.NAME + ": " + state);
            if (!state.equals("active")) {
                fix.add("sudo systemctl start bangerd; journalctl -u bangerd says why it stopped");
                status = DoctorCheck.FAIL;
            }
        }
        return new DoctorCheck(name(), status, found, fix);
    }
}
