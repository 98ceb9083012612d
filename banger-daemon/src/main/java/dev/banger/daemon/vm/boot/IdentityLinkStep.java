package dev.banger.daemon.vm.boot;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.vm.hypervisor.HypervisorDriver;
import dev.banger.daemon.vm.identity.IdentityLink;
import java.time.Duration;

/**
 * A clone's identity link, started just before its launch: it connects while QEMU still loads the
 * snapshot's state, so the restored agent is not told its port was disconnected (see
 * {@link IdentityLink}). {@link IdentityStep} uses it after the launch.
 */
public final class IdentityLinkStep implements BootStep {

    private final HypervisorDriver driver;
    private final Duration patience;
    private volatile IdentityLink link;

    public IdentityLinkStep(HypervisorDriver driver, Duration patience) {
        this.driver = driver;
        this.patience = patience;
    }

    @Override
    public String name() {
        return "identity link";
    }

    @Override
    public void run(BootContext boot) {
        link = IdentityLink.connecting(driver.identitySocket(boot.vmDir()).orElseThrow(() -> new BangerException(
                ErrorCode.OPERATION_FAILED, driver.name() + " machines have no identity port: VM " + boot.vm().name()
                        + " cannot be made a clone")), patience);
    }

    IdentityLink link() {
        return link;
    }

    @Override
    public void undo(BootContext boot) {
        if (link != null) {
            link.close();
        }
    }
}
