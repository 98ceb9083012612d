package dev.banger.daemon.vm.ssh;

/** SSH to a guest failed: it could not connect, the host key changed, or a command did not finish in time. */
public class GuestSshException extends RuntimeException {

    public GuestSshException(String message) {
        super(message);
    }

    public GuestSshException(String message, Throwable cause) {
        super(message, cause);
    }
}
