package dev.banger.core.model;

import java.time.Instant;

/**
 * One daemon operation (an RPC request worth remembering): who asked for what, and how it ended.
 * {@code state} is one of running, succeeded, failed, cancelled.
 */
public record OperationInfo(String id, String method, String state, String peer, Instant startedAt,
                            Instant finishedAt, String error) {

    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    public OperationInfo finish(String endState, Instant at, String errorMessage) {
        return new OperationInfo(id, method, endState, peer, startedAt, at, errorMessage);
    }
}
