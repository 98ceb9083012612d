package dev.banger.daemon.vm.hypervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Starts, watches and stops VM processes of one hypervisor. Thread-safe. */
public interface HypervisorDriver {

    /** The driver's name, as recorded in {@link MachineProcess#driver()}. */
    String name();

    /** True when it opens qcow2 disks; else the root disk must be raw. */
    boolean readsQcow2();

    /**
     * The uid and gid the VM process runs as when it is not root (a jailed Firecracker), so the tap
     * is made theirs: an unprivileged process may attach only to a tap it owns. Empty: root.
     */
    default Optional<int[]> unprivilegedIds() {
        return Optional.empty();
    }

    /** True when a guest's reboot ends the VM process and its poweroff does not (Firecracker), so stop asks for a reboot. */
    default boolean exitsOnGuestReboot() {
        return false;
    }

    /** True when it boots only an uncompressed ELF {@code vmlinux} (else the compressed {@code vmlinuz}). */
    boolean bootsElfKernel();

    /** What this driver will use on this host, with the reason; probed once and remembered. */
    Acceleration acceleration();

    /**
     * Checks, before anything is acquired, that the spec can be launched: kernel, initrd and disks
     * exist, the hypervisor binary is there. Throws a bad request naming what is missing.
     */
    void prepare(MachineSpec spec);

    /**
     * Starts the VM and returns once its process runs and its control socket answers. On failure
     * nothing is left running and the error carries the hypervisor's own complaint.
     */
    MachineProcess launch(MachineSpec spec);

    /** True while the same process (same pid and start time) runs and is not a zombie. */
    default boolean isAlive(MachineProcess p) {
        return VmmProcesses.isAlive(p);
    }

    /** Waits up to {@code timeout} for the process to end; true when it has. */
    default boolean awaitExit(MachineProcess p, Duration timeout) {
        return VmmProcesses.awaitExit(p, timeout);
    }

    /**
     * What the VM process used so far (CPU time, resident memory) and its disks' byte counters where
     * the hypervisor reports them; empty when the process is gone. Firecracker's disks stay unknown:
     * its metrics file is flushed once a minute and holds deltas, too coarse for a live rate.
     */
    default Optional<MachineUsage> usage(MachineProcess p) {
        return VmmProcesses.usage(p);
    }

    /** Presses the ACPI power button; best effort, and nothing happens for a VM that is gone. */
    void requestShutdown(MachineProcess p);

    /** Stops the guest's vCPUs; its memory and devices stay as they are. A bad request when the process is gone. */
    void pause(MachineProcess p);

    /** Runs the vCPUs of a paused guest again, from where they stopped. */
    void resume(MachineProcess p);

    /** True when the hypervisor says the guest's vCPUs are stopped (asked, not remembered: this survives a daemon restart). */
    boolean isPaused(MachineProcess p);

    /** Whether {@link #saveState} works (warm start needs it): QEMU yes, Firecracker not yet. */
    default boolean savesState() {
        return true;
    }

    /** What writes and reads this driver's saved states ("qemu 7.2.0"): a state is loaded only by the same. */
    String stateFormat();

    /**
     * Saves the running guest's memory and device state into {@code stateFile} (new, zero blocks as
     * holes) while the guest runs on, and returns with its vCPUs stopped and its disks flushed, so the
     * caller can copy them; {@link #resume} then goes on. On failure the file may be partial (the
     * caller removes it) and the guest is left as it was or stopped: the caller resumes it.
     * {@link MachineSpec#restoreFrom} loads such a state.
     */
    StateSave saveState(MachineProcess p, Path stateFile);

    /**
     * The host end of the guest's identity port (a Unix socket the hypervisor listens on), over
     * which a clone gets its own identity; empty when this driver's machines have none.
     */
    default Optional<Path> identitySocket(Path runDir) {
        return Optional.empty();
    }

    /** Ends the VM: asks the hypervisor to quit, kills it if it has not within ~2 s, and waits until it is gone. Idempotent. */
    void kill(MachineProcess p);

    /**
     * After a daemon restart: the recorded process, if it is still that VM (pid alive, start time
     * equal, command line naming the recorded control socket); else empty.
     */
    Optional<MachineProcess> adopt(MachineProcess recorded);
}
