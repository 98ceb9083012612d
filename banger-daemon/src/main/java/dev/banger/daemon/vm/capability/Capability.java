package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;

/**
 * A per-VM host feature (the /root work disk, NAT, the network guard, the {@code .vm} DNS name) with
 * hooks around the boot flow. {@link Capabilities} turns the hooks into boot steps and calls
 * {@link #cleanup} from every path that ends a VM's run. What each needs of the host is probed by its
 * mechanics (NatRules, GuestGuard, the DNS server, the disk tools) and printed by {@code banger doctor}.
 */
public interface Capability {

    /** Shown as the boot step's progress line, and in logs. */
    String name();

    /** Whether this VM uses the feature (NAT only when created with {@code --nat}). */
    default boolean appliesTo(VmInfo vm) {
        return true;
    }

    /** Whether it has a {@link #prepareHost} step; only the hooks a capability has become boot steps. */
    default boolean preparesHost() {
        return false;
    }

    /** Before the hypervisor starts, after the VM's tap exists: acquire what the guest will need. */
    default void prepareHost(BootContext boot) throws Exception {
    }

    /** Whether it has an {@link #afterStart} step. */
    default boolean actsAfterStart() {
        return false;
    }

    /** Once the guest answers SSH. */
    default void afterStart(BootContext boot) throws Exception {
    }

    /** After a daemon restart adopted the still-running VM: rebuild what lived only in the old daemon or the kernel. */
    default void adopt(VmInfo vm, VmHandles handles) throws Exception {
    }

    /**
     * Gives back what this boot acquired. Idempotent, and must cope with nothing having been done:
     * it runs on stop, kill, delete, a failed start (with the handles of that start, phase
     * {@link VmHandles#STARTING}) and reconcile. {@code handles} may be null (unknown).
     */
    default void cleanup(VmInfo vm, VmHandles handles) throws Exception {
    }
}
