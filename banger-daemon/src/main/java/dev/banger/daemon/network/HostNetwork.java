package dev.banger.daemon.network;

import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandRunner;

/**
 * Host-side networking for VMs: the bridge, per-VM taps, NAT rules and the {@code .vm} DNS
 * records. The VM lifecycle issue fills it in; the daemon owns exactly one.
 */
public final class HostNetwork implements AutoCloseable {

    private final Config config;
    private final CommandRunner runner;

    public HostNetwork(Config config, CommandRunner runner) {
        this.config = config;
        this.runner = runner;
    }

    /** Releases host state the daemon must not leave behind (DNS listener, resolver routes). */
    @Override
    public void close() {
        // Nothing is acquired yet: the bridge and taps outlive the daemon on purpose.
    }
}
