package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Finds the host programs a kernel import runs, by absolute path: the daemon's PATH may lack the
 * sbin directories (depmod lives there) when it runs as a user. A missing tool is an error that
 * names the Debian package to install.
 */
final class HostTools {

    private static final String[] SYSTEM_DIRS = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};

    private HostTools() {
    }

    static Path find(String program, String debianPackage) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(java.util.List.of(SYSTEM_DIRS));
        for (String d : dirs) {
            Path p = Path.of(d, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel import needs `" + program
                + "`, which is not installed on the host: install the Debian package " + debianPackage
                + " (scripts/host-setup.sh does)");
    }
}
