package dev.banger.daemon.vm;

import dev.banger.daemon.network.HostNetwork;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of banger's firewall rules (NAT and the tap guard, each tagged {@code banger:<vm
 * id>}) of VMs that are not running: a VM deleted or stopped while its cleanup could not run (the
 * daemon was killed), or removed from the store by hand. Rules without banger's tag are never touched.
 */
final class FirewallRuleSweep {

    private static final Logger LOG = LoggerFactory.getLogger(FirewallRuleSweep.class);

    private final HostNetwork network;

    FirewallRuleSweep(HostNetwork network) {
        this.network = network;
    }

    /** {@code running}: the ids of the VMs running after reconcile. */
    void run(Set<String> running) {
        Set<String> nat = new TreeSet<>(safely("NAT", () -> network.nat().vmsWithRules()));
        nat.removeAll(running);
        for (String id : nat) {
            try {
                network.nat().disable(id);
                LOG.warn("removed the NAT rules of VM id {}: it is not running", id);
            } catch (RuntimeException e) {
                LOG.error("cannot remove the NAT rules of VM id {}: {}", id, e.getMessage());
            }
        }
        Set<String> guarded = new TreeSet<>(safely("guard", () -> network.guard().vmsWithRules()));
        guarded.removeAll(running);
        for (String id : guarded) {
            try {
                network.guard().remove(id);
                LOG.warn("removed the tap guard rules of VM id {}: it is not running", id);
            } catch (RuntimeException e) {
                LOG.error("cannot remove the tap guard rules of VM id {}: {}", id, e.getMessage());
            }
        }
    }

    private static Set<String> safely(String what, Supplier<Set<String>> list) {
        try {
            return list.get();
        } catch (RuntimeException e) {
            LOG.error("cannot list banger's {} rules: {}", what, e.getMessage());
            return Set.of();
        }
    }
}
