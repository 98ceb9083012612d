package dev.banger.daemon.vm.capability;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.forward.ForwardRules;
import dev.banger.daemon.network.forward.PortForward;
import dev.banger.daemon.vm.boot.BootContext;
import dev.banger.daemon.vm.boot.VmHandles;
import java.util.List;
import java.util.function.Function;

/**
 * A VM's published ports: before the hypervisor starts, each host port is checked free (a taken
 * one fails the start with nothing booted) and the DNATs are made; rebuilt on adopt; removed
 * whenever the run ends. The forwards themselves live in the store and outlive the runs.
 */
public final class ForwardCapability implements Capability {

    private final ForwardRules rules;
    private final Function<String, List<PortForward>> forwardsOf;

    /** {@code forwardsOf}: a VM id's stored forwards. */
    public ForwardCapability(ForwardRules rules, Function<String, List<PortForward>> forwardsOf) {
        this.rules = rules;
        this.forwardsOf = forwardsOf;
    }

    @Override
    public String name() {
        return "port forwards";
    }

    @Override
    public boolean preparesHost() {
        return true;
    }

    @Override
    public void prepareHost(BootContext boot) {
        List<PortForward> forwards = forwardsOf.apply(boot.vm().id());
        rules.requireFree(forwards);
        rules.apply(boot.vm().id(), boot.vm().guestIp(), forwards);
    }

    @Override
    public void adopt(VmInfo vm, VmHandles handles) {
        rules.apply(vm.id(), vm.guestIp(), forwardsOf.apply(vm.id()));
    }

    @Override
    public void cleanup(VmInfo vm, VmHandles handles) {
        rules.remove(vm.id());
    }
}
