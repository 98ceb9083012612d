package dev.banger.daemon.network;

import dev.banger.daemon.exec.CommandRunner;
import java.util.List;

/** What tests look for after a VM is gone: every banger tap on the host, whichever bridge holds it. */
public final class HostTaps {

    private HostTaps() {
    }

    public static List<String> all(CommandRunner runner) {
        return new IpLinks(runner).all().stream().map(IpLinks.Link::name).filter(n -> n.startsWith(HostNetwork.TAP_PREFIX)).toList();
    }
}
