package dev.banger.cli.client;

import java.nio.file.Path;

/** The socket is missing, refuses us, or the daemon hung up: exit code 3 with a hint. */
public class DaemonUnreachableException extends RuntimeException {

    private final Path socket;

    public DaemonUnreachableException(Path socket, String message, Throwable cause) {
        super(message, cause);
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }
}
