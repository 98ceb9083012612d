package dev.banger.daemon.network.nat;

import java.nio.file.Path;
import java.util.Set;

/**
 * One firewall tool's way of giving a guest NAT. Every VM's rules carry its tag (a comment), so
 * {@link #remove} takes away exactly that VM's rules. Both operations are idempotent.
 */
interface NatBackend {

    /** {@code nftables} or {@code iptables}, as logs and doctor name it. */
    String name();

    /** The tool this backend runs. */
    Path program();

    /** Masquerade {@code guest} going out of anything but {@code bridge}, and let that traffic (and its replies) be forwarded. */
    void add(String tag, String guest, String bridge);

    /**
     * Drops whatever is forwarded between {@code bridge} and another interface that no VM's
     * {@link #add} accepts (a guest that is not NAT'ed, a spoofed source, another host or container
     * reaching a guest by routing), in rules carrying {@code tag}; made once, kept below every VM's accepts.
     */
    void confine(String tag, String bridge);

    /** Removes the confining drops {@link #confine} made with {@code tag}; none is fine. */
    void unconfine(String tag);

    /** The tags banger's rules in this tool carry. */
    Set<String> tags();

    /** Removes every rule carrying {@code tag}; none is fine. */
    void remove(String tag);
}
