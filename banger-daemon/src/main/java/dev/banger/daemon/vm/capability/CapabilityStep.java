package dev.banger.daemon.vm.capability;

import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.BootStep;

/** One capability hook as a boot step; its undo is the capability's cleanup, so a failed start gives back what it took. */
final class CapabilityStep implements BootStep {

    enum Hook { PREPARE_HOST, AFTER_START }

    private final Capability capability;
    private final Hook hook;

    CapabilityStep(Capability capability, Hook hook) {
        this.capability = capability;
        this.hook = hook;
    }

    @Override
    public String name() {
        return capability.name();
    }

    @Override
    public void run(BootContext boot) throws Exception {
        switch (hook) {
            case PREPARE_HOST -> capability.prepareHost(boot);
            case AFTER_START -> capability.afterStart(boot);
        }
    }

    @Override
    public void undo(BootContext boot) throws Exception {
        capability.cleanup(boot.vm(), boot.handles());
    }
}
