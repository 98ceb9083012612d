package dev.banger.daemon.vm.boot;

import dev.banger.daemon.vm.hypervisor.MachineProcess;
import java.time.Instant;
import java.util.List;

/**
 * What a VM holds on the host while it starts or runs, in {@code <vm dir>/handles.json}: enough for
 * a later daemon to adopt the process or tear down every piece. Never in SQLite: it describes this
 * boot only, and is rewritten after each step that acquires something.
 *
 * @param phase  {@link #STARTING} until the guest answered SSH, then {@link #RUNNING}
 * @param made   files this start created (its first boot's disks): an interrupted start removes them
 */
public record VmHandles(String vmId, String phase, String tap, String rootDisk, String workDisk, List<String> made,
                        MachineProcess machine, Instant startedAt) {

    public static final String STARTING = "starting";
    public static final String RUNNING = "running";

    public VmHandles {
        made = made == null ? List.of() : List.copyOf(made);
    }

    public VmHandles running() {
        return new VmHandles(vmId, RUNNING, tap, rootDisk, workDisk, List.of(), machine, startedAt);
    }
}
