package dev.banger.cli.exec;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The only place in the CLI that starts processes (ArchitectureTest enforces it): a background
 * bangerd for {@code banger daemon start}, and the system {@code ssh} for {@code vm ssh}/{@code vm run}.
 * The daemon's own tools go through its CommandRunner.
 */
public final class ProcessLauncher {

    private ProcessLauncher() {
    }

    /** Starts {@code argv} detached from our stdin, appending its output to {@code logFile}; returns its pid. */
    public static long startDetached(List<String> argv, Path logFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        return pb.start().pid();
    }

    /** Runs {@code argv} on our own terminal (stdin, stdout, stderr) and returns its exit status. */
    public static int runInteractive(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).inheritIO().start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 130;
        }
    }
}
