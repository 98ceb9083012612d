package dev.banger.daemon.vm.boot;

import dev.banger.daemon.vm.hypervisor.MachineProcess;
import java.time.Instant;
import java.util.List;

/**
 * What a VM holds on the host while it starts or runs, in {@code <vm dir>/handles.json}: enough for
 * a later daemon to adopt the process or tear down every piece. Never in SQLite: it describes this
 * boot only, and is rewritten after each step that acquires something.
 *
 * @param phase  {@link #STARTING} until the guest answered SSH, then {@link #RUNNING}; {@link #FAILED} when
 *               the start failed and its undo did not finish (the next reconcile finishes it)
 * @param made   files this start created (its first boot's disks): an interrupted start removes them
 * @param restoredFrom the snapshot whose memory this run went on from (a clone's first start), or null when it booted
 */
public record VmHandles(String vmId, String phase, String tap, String rootDisk, String workDisk, List<String> made,
                        MachineProcess machine, Instant startedAt, String restoredFrom) {

    public static final String STARTING = "starting";
    public static final String RUNNING = "running";
    public static final String FAILED = "failed";

    public VmHandles {
        made = made == null ? List.of() : List.copyOf(made);
    }

    /** True for a start that never reached {@link #RUNNING}: what it {@link #made} is to be removed. */
    public boolean unfinishedStart() {
        return STARTING.equals(phase) || FAILED.equals(phase);
    }

    public VmHandles running() {
        return new VmHandles(vmId, RUNNING, tap, rootDisk, workDisk, List.of(), machine, startedAt, restoredFrom);
    }

    public VmHandles failed() {
        return new VmHandles(vmId, FAILED, tap, rootDisk, workDisk, made, machine, startedAt, restoredFrom);
    }
}
