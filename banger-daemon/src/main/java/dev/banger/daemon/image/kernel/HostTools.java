package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.HostPrograms;
import java.nio.file.Path;

/**
 * Finds the host programs a kernel import runs, by absolute path. A missing tool is an error that
 * names the Debian package to install.
 */
final class HostTools {

    private HostTools() {
    }

    static Path find(String program, String debianPackage) {
        return HostPrograms.locate(program).orElseThrow(() -> new BangerException(ErrorCode.OPERATION_FAILED,
                "kernel import needs `" + program + "`, which is not installed on the host: install the Debian package "
                        + debianPackage + " (scripts/host-setup.sh does)"));
    }
}
