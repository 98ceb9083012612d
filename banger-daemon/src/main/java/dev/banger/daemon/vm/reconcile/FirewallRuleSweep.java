package dev.banger.daemon.vm.reconcile;

import dev.banger.daemon.network.HostNetwork;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of banger's firewall rules (NAT and the tap guard, tagged {@code banger:<vm id>};
 * port forwards, {@code banger-fwd:<vm id>}) of VMs that are not running: a VM deleted or stopped
 * while its cleanup could not run (the daemon was killed), or removed from the store by hand. Rules
 * without banger's tags are never touched.
 */
public final class FirewallRuleSweep {

    private static final Logger LOG = LoggerFactory.getLogger(FirewallRuleSweep.class);

    /** One kind of per-VM rules: how to list the VMs that have some, and how to remove one VM's. */
    private record RuleKind(String name, Supplier<Set<String>> vmsWithRules, Consumer<String> remove) {
    }

    private final List<RuleKind> kinds;

    FirewallRuleSweep(HostNetwork network) {
        this.kinds = List.of(
                new RuleKind("NAT", () -> network.nat().vmsWithRules(), id -> network.nat().disable(id)),
                new RuleKind("tap guard", () -> network.guard().vmsWithRules(), id -> network.guard().remove(id)),
                new RuleKind("port forward", () -> network.forwards().vmsWithRules(), id -> network.forwards().remove(id)));
    }

    /** {@code running}: the ids of the VMs running after reconcile. */
    void run(Set<String> running) {
        for (RuleKind kind : kinds) {
            Set<String> stale = new TreeSet<>(vmsWith(kind));
            stale.removeAll(running);
            for (String id : stale) {
                try {
                    kind.remove().accept(id);
                    LOG.warn("removed the {} rules of VM id {}: it is not running", kind.name(), id);
                } catch (RuntimeException e) {
                    LOG.error("cannot remove the {} rules of VM id {}: {}", kind.name(), id, e.getMessage());
                }
            }
        }
    }

    private static Set<String> vmsWith(RuleKind kind) {
        try {
            return kind.vmsWithRules().get();
        } catch (RuntimeException e) {
            LOG.error("cannot list banger's {} rules: {}", kind.name(), e.getMessage());
            return Set.of();
        }
    }
}
