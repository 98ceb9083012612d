package dev.banger.daemon.image;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Path;

/** Reads an ext4 image the way a user debugging one would: debugfs and e2fsck, no mount. */
record Ext4Inspector(Path image) {

    private static final CommandRunner RUNNER = new CommandRunner();

    String debugfs(String request) {
        CommandResult r = RUNNER.run(Command.of("debugfs", "-R", request, image.toString()));
        return r.stdout() + r.stderr();
    }

    String cat(String path) {
        return RUNNER.run(Command.of("debugfs", "-R", "cat \"" + path + "\"", image.toString())).stdout();
    }

    /** The octal mode as `stat` prints it, e.g. "0104755" for a setuid file. */
    String stat(String path) {
        return debugfs("stat \"" + path + "\"");
    }

    boolean exists(String path) {
        return !stat(path).contains("File not found");
    }

    /** `e2fsck -fn`: exit 0 means a clean filesystem. */
    CommandResult fsck() {
        return RUNNER.runAllowingFailure(Command.of("e2fsck", "-fn", image.toString()));
    }
}
