package dev.banger.core.rpc;

/**
 * An error a user can act on: a banger code plus a message that names what was wrong. Services
 * throw it; the RPC layer sends it; the CLI rebuilds it from the response (with the op id).
 */
public class BangerException extends RuntimeException {

    private final ErrorCode code;
    private final String opId;

    public BangerException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public BangerException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    public BangerException(ErrorCode code, String message, String opId, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.opId = opId;
    }

    public ErrorCode code() {
        return code;
    }

    /** The daemon's operation id when this error came back over RPC, else null. */
    public String opId() {
        return opId;
    }

    public static BangerException notFound(String message) {
        return new BangerException(ErrorCode.NOT_FOUND, message);
    }

    public static BangerException badRequest(String message) {
        return new BangerException(ErrorCode.BAD_REQUEST, message);
    }

    /** A value the user typed, e.g. {@code --memory 12Q}: a usage error. */
    public static BangerException invalidArgument(String message) {
        return new BangerException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
