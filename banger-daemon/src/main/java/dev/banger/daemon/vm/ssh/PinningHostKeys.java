package dev.banger.daemon.vm.ssh;

import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.UserInfo;
import dev.banger.daemon.fs.Sha256;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * JSch's view of known_hosts for one connection, with OpenSSH's {@code accept-new} policy: a host
 * with no entry has the key it offers pinned under its name and every alias; a host whose entries
 * all differ from the offered key is refused, and {@link #changed} says so afterwards.
 * JSch runs with {@code StrictHostKeyChecking=yes}, so it never adds or removes keys itself.
 */
final class PinningHostKeys implements HostKeyRepository {

    private final KnownHostsFile file;
    private final List<String> names;
    private volatile String changedTo;

    /** {@code names}: the name JSch checks first, then its aliases, each as {@link KnownHostsFile#name} spells it. */
    PinningHostKeys(KnownHostsFile file, List<String> names) {
        this.file = file;
        this.names = List.copyOf(names);
    }

    /** The offered key's type and fingerprint when it did not match the pinned one, else null. */
    String changed() {
        return changedTo;
    }

    @Override
    public int check(String host, byte[] key) {
        HostKey offered = hostKey(host, key);
        List<KnownHostsFile.Entry> known = file.entriesFor(host);
        if (known.isEmpty()) {
            file.pin(names, offered.getType(), offered.getKey());
            return OK;
        }
        if (known.stream().anyMatch(e -> isOffered(e, offered))) {
            // A new alias (or one a deleted VM left with another key) follows the host's key.
            if (!names.stream().allMatch(n -> file.entriesFor(n).stream().anyMatch(e -> isOffered(e, offered)))) {
                file.pin(names, offered.getType(), offered.getKey());
            }
            return OK;
        }
        changedTo = offered.getType() + " key " + fingerprint(key);
        return CHANGED;
    }

    private static boolean isOffered(KnownHostsFile.Entry e, HostKey offered) {
        return e.type().equals(offered.getType()) && e.key().equals(offered.getKey());
    }

    @Override
    public HostKey[] getHostKey(String host, String type) {
        List<HostKey> keys = new ArrayList<>();
        for (KnownHostsFile.Entry e : file.entriesFor(host)) {
            if (type == null || e.type().equals(type)) {
                keys.add(hostKey(host, Base64.getDecoder().decode(e.key())));
            }
        }
        return keys.toArray(HostKey[]::new);
    }

    @Override
    public HostKey[] getHostKey() {
        return getHostKey(names.getFirst(), null);
    }

    @Override
    public String getKnownHostsRepositoryID() {
        return file.path().toString();
    }

    @Override
    public void add(HostKey hostkey, UserInfo ui) {
        throw new UnsupportedOperationException("keys are pinned in check(); JSch adds none with StrictHostKeyChecking=yes");
    }

    @Override
    public void remove(String host, String type) {
        throw new UnsupportedOperationException("a changed host key is refused, never replaced");
    }

    @Override
    public void remove(String host, String type, byte[] key) {
        throw new UnsupportedOperationException("a changed host key is refused, never replaced");
    }

    /** As OpenSSH prints it: {@code SHA256:} and the unpadded base64 of the key's SHA-256. */
    private static String fingerprint(byte[] key) {
        return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(Sha256.newDigest().digest(key));
    }

    private static HostKey hostKey(String host, byte[] key) {
        try {
            return new HostKey(host, key);
        } catch (JSchException e) {
            throw new GuestSshException("host " + host + " offered a host key of an unknown type: " + e.getMessage(), e);
        }
    }
}
