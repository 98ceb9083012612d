package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/** Edits inside an ext4 image with one {@code debugfs -w -f SCRIPT} run: no mount, no root needed for the file itself. */
public final class Debugfs {

    private Debugfs() {
    }

    /**
     * Runs {@code script} against {@code image}. debugfs exits 0 even when a command fails, so its
     * stderr is the only witness: any line not in {@code harmless} fails the call, naming {@code what}.
     */
    public static void run(CommandRunner runner, Path image, String script, String what, Set<String> harmless) {
        Path scriptFile = null;
        try {
            scriptFile = Files.createTempFile(image.toAbsolutePath().getParent(), ".debugfs-", ".script");
            Files.writeString(scriptFile, script);
            CommandResult r = runner.run(Command.of("debugfs", "-w", "-f", scriptFile.toString(), image.toString())
                    .withTimeout(Duration.ofMinutes(10)));
            String problems = r.stderr().lines()
                    .filter(l -> !l.startsWith("debugfs ") && harmless.stream().noneMatch(l::contains))
                    .limit(5).collect(Collectors.joining("; "));
            if (!problems.isEmpty()) {
                throw new BangerException(ErrorCode.OPERATION_FAILED, what + " in " + image.getFileName() + " failed: " + problems);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run debugfs on " + image + ": " + e.getMessage(), e);
        } finally {
            if (scriptFile != null) {
                try {
                    Files.deleteIfExists(scriptFile);
                } catch (IOException ignored) {
                    // A stray script file in the image's own dir is harmless.
                }
            }
        }
    }

    /** debugfs's parser takes double-quoted arguments; a name it cannot express is refused, not mangled. */
    public static String quote(String path) {
        if (path.indexOf('"') >= 0 || path.indexOf('\n') >= 0) {
            throw BangerException.badRequest("a file name debugfs cannot address: " + path);
        }
        return '"' + path + '"';
    }
}
