package dev.banger.daemon.vm.ssh;

/**
 * A guest's SSH did not become ready: the wait timed out (the message says what the last attempt
 * saw) or the caller aborted it (the message is the caller's reason).
 */
public class SshNotReadyException extends GuestSshException {

    public SshNotReadyException(String message) {
        super(message);
    }
}
