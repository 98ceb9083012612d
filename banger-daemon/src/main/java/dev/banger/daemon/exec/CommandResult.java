package dev.banger.daemon.exec;

import java.time.Duration;

/** What a finished command left: exit code and captured output. */
public record CommandResult(Command command, int exitCode, String stdout, String stderr, Duration elapsed) {
    public boolean ok() {
        return exitCode == 0;
    }
}
