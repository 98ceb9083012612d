package dev.banger.core.rpc;

import java.util.Arrays;

/**
 * banger's error codes, carried in {@code error.data.code} of a JSON-RPC error. The CLI maps them
 * to exit codes and short labels; scripts match on the string.
 */
public enum ErrorCode {
    NOT_FOUND("not_found"),
    ALREADY_EXISTS("already_exists"),
    BAD_REQUEST("bad_request"),
    /** A value the user typed (an option's or argument's) is unusable: the CLI exits 2, as for its own usage errors. */
    INVALID_ARGUMENT("invalid_argument"),
    NOT_RUNNING("not_running"),
    OPERATION_FAILED("operation_failed"),
    UNAUTHORIZED("unauthorized"),
    BAD_VERSION("bad_version"),
    CANCELLED("cancelled"),
    /** A write found its filesystem full; the message names the path and what needed the space. */
    NO_SPACE("no_space");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static ErrorCode fromWire(String wire) {
        return Arrays.stream(values())
                .filter(c -> c.wire.equals(wire))
                .findFirst()
                .orElse(OPERATION_FAILED);
    }
}
