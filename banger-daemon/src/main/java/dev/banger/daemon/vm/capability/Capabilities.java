package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.vm.boot.BootStep;
import dev.banger.daemon.vm.boot.VmHandles;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capabilities every VM start runs through, in order. Their prepare-host steps run before the
 * hypervisor starts and their after-start steps once the guest answers SSH; cleanup runs them all
 * to the end, last first, and joins their errors.
 */
public final class Capabilities {

    private static final Logger LOG = LoggerFactory.getLogger(Capabilities.class);

    private final List<Capability> all;

    public Capabilities(List<Capability> all) {
        this.all = List.copyOf(all);
    }

    public List<Capability> all() {
        return all;
    }

    /** The prepare-host steps of the capabilities {@code vm} uses. */
    public List<BootStep> prepareHostSteps(VmInfo vm) {
        return steps(vm, CapabilityStep.Hook.PREPARE_HOST);
    }

    /** The after-start steps of the capabilities {@code vm} uses. */
    public List<BootStep> afterStartSteps(VmInfo vm) {
        return steps(vm, CapabilityStep.Hook.AFTER_START);
    }

    private List<BootStep> steps(VmInfo vm, CapabilityStep.Hook hook) {
        List<BootStep> steps = new ArrayList<>();
        for (Capability c : all) {
            boolean has = hook == CapabilityStep.Hook.PREPARE_HOST ? c.preparesHost() : c.actsAfterStart();
            if (c.appliesTo(vm) && has) {
                steps.add(new CapabilityStep(c, hook));
            }
        }
        return steps;
    }

    /** Every capability's cleanup for {@code vm}, last first; the failures are returned, none stops the others. */
    public List<Exception> cleanup(VmInfo vm, VmHandles handles) {
        List<Exception> problems = new ArrayList<>();
        for (Capability c : all.reversed()) {
            if (!c.appliesTo(vm)) {
                continue;
            }
            try {
                c.cleanup(vm, handles);
            } catch (Exception e) {
                LOG.warn("VM {}: cleanup of {} failed: {}", vm.name(), c.name(), e.getMessage());
                problems.add(e);
            }
        }
        return problems;
    }

    /** After reconcile adopted a running VM; a capability that cannot rebuild is logged, the VM keeps running. */
    public void adopt(VmInfo vm, VmHandles handles) {
        for (Capability c : all) {
            if (!c.appliesTo(vm)) {
                continue;
            }
            try {
                c.adopt(vm, handles);
            } catch (Exception e) {
                LOG.warn("VM {}: {} could not be rebuilt after the daemon restart: {}", vm.name(), c.name(), e.getMessage());
            }
        }
    }
}
