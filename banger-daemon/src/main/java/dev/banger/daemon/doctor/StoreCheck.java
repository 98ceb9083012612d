package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.store.StoreSnapshot;
import java.util.List;

/** The state store opens read-only, and its schema version against this build's. Never migrates. */
record StoreCheck(StoreReading store) implements Check {

    @Override
    public String name() {
        return "state store";
    }

    @Override
    public DoctorCheck run() {
        String where = store.file().toString();
        if (store.missing()) {
            return DoctorCheck.pass(name(), where + ": none yet (a fresh install; bangerd creates it at its first start)");
        }
        StoreSnapshot s = store.snapshot();
        if (s == null) {
            String problem = store.problem();
            if (problem.startsWith("not readable")) {
                return DoctorCheck.warn(name(), List.of(where + ": " + problem),
                        "run `banger doctor` while bangerd runs (it checks as root), or `sudo banger doctor`");
            }
            return DoctorCheck.fail(name(), List.of(where + ": cannot be opened read-only: " + problem),
                    "stop bangerd, move " + where + " aside (bangerd then starts with an empty store), or restore a backup");
        }
        String version = "schema version " + s.schemaVersion() + ", this build's " + s.latestVersion();
        if (s.schemaVersion() > s.latestVersion()) {
            return DoctorCheck.fail(name(), List.of(where + ": " + version + ": written by a newer banger"),
                    "install a banger at least as new as the one that wrote it");
        }
        if (s.schemaVersion() < s.latestVersion()) {
            return DoctorCheck.pass(name(), where + ": " + version + " (bangerd migrates it at its next start)",
                    s.images().size() + " image(s), " + s.kernels().size() + " kernel(s)");
        }
        return DoctorCheck.pass(name(), where + ": opened read-only, " + version,
                s.images().size() + " image(s), " + s.kernels().size() + " kernel(s)");
    }
}
