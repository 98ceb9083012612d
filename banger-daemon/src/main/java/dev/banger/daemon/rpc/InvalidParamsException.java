package dev.banger.daemon.rpc;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;

/** Params that do not fit the method; answered with JSON-RPC's -32602. */
public class InvalidParamsException extends BangerException {
    public InvalidParamsException(String message) {
        super(ErrorCode.BAD_REQUEST, message);
    }
}
