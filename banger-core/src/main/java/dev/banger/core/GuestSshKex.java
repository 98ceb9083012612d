package dev.banger.core;

/**
 * The key exchange every OpenSSH client banger starts (or configures) offers a guest first.
 *
 * <p>X25519 (classical, forward secret) ahead of OpenSSH's default post-quantum hybrid
 * (sntrup761x25519, mlkem768x25519). The hybrid guards recorded traffic against a future quantum
 * computer; traffic to a guest never leaves the host (a tap on a host-local bridge), and whoever
 * could record it there is root on the host and can read the guest's memory anyway. Under an
 * emulated CPU the hybrid costs the guest ~0.13 s per connection (measured: bench/warm-start.sh),
 * about 7 % of a warm {@code vm run}. The default set still follows ({@code ^}: put at its head),
 * so a server without X25519 is still reached.
 */
public final class GuestSshKex {

    /** The value of OpenSSH's {@code KexAlgorithms}, for {@code -o KexAlgorithms=} and ssh_config alike. */
    public static final String ALGORITHMS = "^curve25519-sha256,curve25519-sha256@libssh.org";

    private GuestSshKex() {
    }
}
