package dev.banger.daemon.exec;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds host programs by absolute path: PATH first, then the system directories, because the
 * daemon's PATH may lack the sbin directories when it runs as a user.
 */
public final class HostPrograms {

    private static final List<String> SYSTEM_DIRS = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private HostPrograms() {
    }

    /** {@code program} as an executable file: itself when it contains a slash, else the first match in the search path. */
    public static Optional<Path> locate(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return isExecutableFile(p) ? Optional.of(p.toAbsolutePath()) : Optional.empty();
        }
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        return dirs.stream().map(d -> Path.of(d, program)).filter(HostPrograms::isExecutableFile).findFirst();
    }

    private static boolean isExecutableFile(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }
}
