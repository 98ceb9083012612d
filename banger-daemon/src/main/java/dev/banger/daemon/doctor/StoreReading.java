package dev.banger.daemon.doctor;

import dev.banger.daemon.store.StoreSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;

/** The store read once (read-only) for the checks that need it: a snapshot, or why there is none. */
final class StoreReading {

    private final Path file;
    private boolean done;
    private StoreSnapshot snapshot;
    private String problem;

    StoreReading(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The snapshot, or null when the file is missing or {@link #problem} says why it cannot be read. */
    synchronized StoreSnapshot snapshot() {
        if (!done) {
            done = true;
            if (!Files.exists(file)) {
                problem = null;
            } else if (!Files.isReadable(file)) {
                problem = "not readable by " + System.getProperty("user.name");
            } else {
                try {
                    snapshot = StoreSnapshot.read(file);
                } catch (Exception e) {
                    problem = e.getMessage();
                }
            }
        }
        return snapshot;
    }

    synchronized String problem() {
        snapshot();
        return problem;
    }

    boolean missing() {
        return !Files.exists(file);
    }
}
