package dev.banger.daemon.vm.reconcile;

import dev.banger.daemon.network.HostNetwork;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Startup sweep of banger's taps (on its bridge, named {@code tap-fc-...}) that no running VM
 * holds: left by a daemon that died mid-start, or an undo that never ran.
 */
public final class OrphanTapSweep {

    private static final Logger LOG = LoggerFactory.getLogger(OrphanTapSweep.class);

    private final HostNetwork network;

    OrphanTapSweep(HostNetwork network) {
        this.network = network;
    }

    /** {@code held}: the taps of the VMs running after reconcile. */
    void run(Set<String> held) {
        for (String tap : network.bridgeTaps()) {
            if (held.contains(tap)) {
                continue;
            }
            try {
                network.deleteTap(tap);
                LOG.warn("removed tap {}: no running VM holds it", tap);
            } catch (RuntimeException e) {
                LOG.error("cannot remove orphan tap {}: {}", tap, e.getMessage());
            }
        }
    }
}
