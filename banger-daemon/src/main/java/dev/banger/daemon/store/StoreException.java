package dev.banger.daemon.store;

/** The store cannot be opened or used; the message says which file and why. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
