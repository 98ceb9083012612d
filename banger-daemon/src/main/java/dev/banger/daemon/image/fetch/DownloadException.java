package dev.banger.daemon.image.fetch;

import java.io.IOException;

/** Why an {@link HttpDownload} failed, for its caller to put in its own words and error code. */
public final class DownloadException extends IOException {

    /** What went wrong: no connection, no answer in time, an HTTP status other than 200, a length other than promised, or the transfer. */
    public enum Kind { CONNECT, TIMEOUT, STATUS, LENGTH, TRANSFER }

    private final Kind kind;
    private final int status;

    DownloadException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status of a {@link Kind#STATUS} failure; 0 otherwise. */
    public int status() {
        return status;
    }
}
