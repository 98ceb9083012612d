package dev.banger.daemon.vm.boot;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.network.GuestNet;
import dev.banger.daemon.network.HostNetwork;
import dev.banger.daemon.vm.identity.GuestHostKey;
import dev.banger.daemon.vm.identity.GuestIdentity;
import dev.banger.daemon.vm.identity.IdentityChannel;
import dev.banger.daemon.vm.ssh.GuestSsh;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A clone's own identity, right after its memory was restored: sent over the identity port
 * (address, gateway, MAC, hostname, resolver, machine-id, the host's clock, fresh entropy, a new SSH
 * host key made here); the guest answers with the host key it now serves (that one, or under dropbear
 * one it made), which is pinned as this VM's. Only then does its tap
 * come up, so the template's address and MAC never reach the bridge.
 */
public final class IdentityStep implements BootStep {

    /** Entropy for the guest's pool: 64 bytes, as much as the kernel's input pool holds. */
    private static final int ENTROPY_BYTES = 64;

    private final IdentityLinkStep link;
    private final HostNetwork network;
    private final GuestSsh ssh;
    private final Clock clock;
    private final Duration timeout;

    public IdentityStep(IdentityLinkStep link, HostNetwork network, GuestSsh ssh, Clock clock, Duration timeout) {
        this.link = link;
        this.network = network;
        this.ssh = ssh;
        this.clock = clock;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "identity";
    }

    @Override
    public void run(BootContext boot) {
        VmInfo vm = boot.vm();
        GuestNet net = network.guestNet(HostNetwork.storedAddress(vm.guestIp()));
        String gateway = net.gateway().getHostAddress();
        GuestIdentity identity = new GuestIdentity(net.cidrAddress(), gateway, vm.mac(), vm.name(),
                network.dns().isPresent() ? gateway : null, IdentityChannel.randomHex(16), clock.instant(),
                IdentityChannel.randomHex(ENTROPY_BYTES), GuestHostKey.generate());
        IdentityChannel.HostKey key;
        try {
            key = IdentityChannel.apply(link.link(), identity, vm.name(), timeout);
        } finally {
            link.link().close(); // one exchange: the agent goes back to polling, as in any booted guest
        }
        ssh.pin(vm.guestIp(), ReadinessStep.SSH_PORT, List.of(vm.name() + ".vm"), key.type(), key.base64());
        network.setTapLink(boot.tap(), true);
    }
}
