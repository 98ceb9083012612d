package dev.banger.cli.workspace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** The CLI's temporary directories (a ship's pack, a copy landing beside its destination). */
public final class TempDirs {

    private TempDirs() {
    }

    /** Deletes {@code dir} and what is in it, never following a link out of it; best effort. */
    public static void delete(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Left behind in a dot-named temp dir: harmless, and the user's to see.
                }
            });
        } catch (IOException ignored) {
            // Already gone.
        }
    }
}
