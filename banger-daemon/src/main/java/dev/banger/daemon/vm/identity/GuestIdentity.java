package dev.banger.daemon.vm.identity;

import java.time.Instant;

/**
 * What makes a clone a VM of its own, sent to the guest's identity agent (banger-init) right after
 * its memory was restored: the template's values are all still in that memory.
 *
 * @param cidrAddress the guest's address with its prefix ("172.16.0.5/24")
 * @param dns         the resolver the guest uses, or null to keep the template's
 * @param machineId   a fresh /etc/machine-id (32 hex digits)
 * @param entropyHex  random bytes for the guest's pool, hex: clones must not share RNG state
 * @param hostKey     the SSH host key an OpenSSH guest serves from now on (a dropbear guest makes its own:
 *                    dropbear reads only its own key format)
 */
public record GuestIdentity(String cidrAddress, String gateway, String mac, String hostname, String dns, String machineId,
                            Instant clock, String entropyHex, GuestHostKey hostKey) {

    /** One line of {@code key=value} words, as banger-init's agent reads it; no value holds a space. */
    String line(String nonce) {
        return "nonce=" + nonce + " ip=" + cidrAddress + " gw=" + gateway + " mac=" + mac + " hostname=" + hostname
                + (dns == null ? "" : " dns=" + dns) + " machine_id=" + machineId + " time=" + clock.getEpochSecond()
                + " entropy=" + entropyHex + " host_key=" + hostKey.privateKeyBody() + " host_pub=" + hostKey.publicKey().base64()
                + "\n";
    }
}
