package dev.banger.core.model;

import java.time.Instant;

/**
 * A VM as {@code vm list} and {@code vm show} report it: the row the store keeps, plus what the
 * daemon knows about its running process ({@code runtime}, null when it is not running).
 * {@code isolate}: the guest neither reaches nor is reached by other guests (default).
 * {@code fromSnapshot}: the snapshot a clone was made from ({@code vm create --from-snapshot}), else null;
 * the clone's disks are copy-on-write over that snapshot's, which therefore outlives its own VM.
 * {@code templateId}: when that snapshot is a warm-start template, its id (the VM started warm); null: it booted,
 * or is a clone of a user's snapshot.
 */
public record VmInfo(String id, String name, String state, String imageId, String imageName, int vcpu, int memoryMib,
                     long diskBytes, String guestIp, String mac, boolean nat, boolean isolate, String lastError, Instant createdAt,
                     Instant updatedAt, Runtime runtime, String fromSnapshot, String templateId) {

    /** A VM that may be a clone, but not of a template. */
    public VmInfo(String id, String name, String state, String imageId, String imageName, int vcpu, int memoryMib,
                  long diskBytes, String guestIp, String mac, boolean nat, boolean isolate, String lastError, Instant createdAt,
                  Instant updatedAt, Runtime runtime, String fromSnapshot) {
        this(id, name, state, imageId, imageName, vcpu, memoryMib, diskBytes, guestIp, mac, nat, isolate, lastError, createdAt,
                updatedAt, runtime, fromSnapshot, null);
    }

    /** A VM that is no clone. */
    public VmInfo(String id, String name, String state, String imageId, String imageName, int vcpu, int memoryMib,
                  long diskBytes, String guestIp, String mac, boolean nat, boolean isolate, String lastError, Instant createdAt,
                  Instant updatedAt, Runtime runtime) {
        this(id, name, state, imageId, imageName, vcpu, memoryMib, diskBytes, guestIp, mac, nat, isolate, lastError, createdAt,
                updatedAt, runtime, null);
    }

    public static final String CREATED = "created";
    public static final String RUNNING = "running";
    public static final String STOPPED = "stopped";
    public static final String ERROR = "error";
    /** Reported, never stored: a running VM whose vCPUs are stopped (the row stays {@code running}). */
    public static final String PAUSED = "paused";

    /** The running process: which hypervisor with which acceleration, its pid, tap and files. */
    public record Runtime(String hypervisor, String accel, long pid, String tap, String consoleLog, String rootDisk,
                          String workDisk, Instant startedAt) {
    }

    public VmInfo withRuntime(Runtime r) {
        return new VmInfo(id, name, state, imageId, imageName, vcpu, memoryMib, diskBytes, guestIp, mac, nat, isolate, lastError,
                createdAt, updatedAt, r, fromSnapshot, templateId);
    }

    public VmInfo withState(String s) {
        return new VmInfo(id, name, s, imageId, imageName, vcpu, memoryMib, diskBytes, guestIp, mac, nat, isolate, lastError,
                createdAt, updatedAt, runtime, fromSnapshot, templateId);
    }

    public boolean running() {
        return RUNNING.equals(state);
    }

    /** Its process runs, vCPUs going or not: {@code running} or {@code paused}. */
    public boolean live() {
        return running() || PAUSED.equals(state);
    }
}
