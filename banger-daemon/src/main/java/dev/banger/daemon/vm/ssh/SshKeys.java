package dev.banger.daemon.vm.ssh;

import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileModes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * banger's own SSH key pair and known_hosts, under {@code <state_dir>/ssh}. The public key goes
 * into every guest's root account; the private key serves both bangerd (JSch) and the system
 * {@code ssh} that {@code banger vm ssh} runs, so it is in OpenSSH format. OpenSSH refuses a key
 * its own user can share with others, yet accepts a group-readable key someone else owns: so the
 * key itself is 0600 (for its owner, the daemon's user) and a copy, {@code id_ed25519-group}, is
 * 0640 with group {@code banger} when that group exists, for the group's members.
 */
public final class SshKeys {

    static final String GROUP = FileModes.GROUP;
    private static final String KEY_NAME = "id_ed25519";

    private final Path privateKey;
    private final Path groupKey;
    private final Path knownHosts;
    private final String publicKey;

    private SshKeys(Path privateKey, Path groupKey, Path knownHosts, String publicKey) {
        this.privateKey = privateKey;
        this.groupKey = groupKey;
        this.knownHosts = knownHosts;
        this.publicKey = publicKey;
    }

    /** Uses the key pair in {@code sshDir}, generating it first when it is missing. */
    public static SshKeys ensure(Path sshDir, CommandRunner runner) {
        Path key = sshDir.resolve(KEY_NAME);
        Path pub = sshDir.resolve(KEY_NAME + ".pub");
        Path knownHosts = sshDir.resolve("known_hosts");
        try {
            // Members' ssh reads the group key and known_hosts in here: 0750, group banger.
            FileModes.groupDir(sshDir);
            if (!Files.exists(key) || !Files.exists(pub)) {
                generate(sshDir, key, pub, runner);
            }
            FileModes.privateFile(key);
            FileModes.privateFile(pub);
            // Every time, not only on generation: the group may have been created since.
            Path groupKey = shareWithGroup(key, sshDir.resolve(KEY_NAME + "-group"));
            if (!Files.exists(knownHosts)) {
                Files.createFile(knownHosts, FileModes.privateFile());
            }
            FileModes.groupFile(knownHosts);
            return new SshKeys(key, groupKey, knownHosts, Files.readString(pub).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up banger's SSH key in " + sshDir + ": " + e.getMessage(), e);
        }
    }

    /** The private key (0600), for JSch and its owner's {@code ssh -i}. */
    public Path privateKey() {
        return privateKey;
    }

    /** The same key readable by group {@code banger} (0640), for its members' {@code ssh -i}; empty without the group. */
    public Optional<Path> groupKey() {
        return Optional.ofNullable(groupKey);
    }

    /** The known_hosts file that pins each guest's host key. */
    public Path knownHosts() {
        return knownHosts;
    }

    /** The one-line public key, {@code ssh-ed25519 AAAA... banger}, for a guest's authorized_keys. */
    public String publicKey() {
        return publicKey;
    }

    /** Generates into a scratch directory first, so a crash never leaves half a key pair in place. */
    private static void generate(Path sshDir, Path key, Path pub, CommandRunner runner) throws IOException {
        Path scratch = Files.createTempDirectory(sshDir, ".keygen-");
        try {
            Path newKey = scratch.resolve(KEY_NAME);
            runner.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger", "-f", newKey.toString());
            Files.move(scratch.resolve(KEY_NAME + ".pub"), pub, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(newKey, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            try (Stream<Path> files = Files.walk(scratch)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A 0640 copy with group {@code banger} when that group exists (written aside, then renamed); else none. */
    private static Path shareWithGroup(Path key, Path copy) throws IOException {
        Optional<GroupPrincipal> group = FileModes.bangerGroup();
        if (group.isEmpty()) {
            Files.deleteIfExists(copy);
            return null;
        }
        Path tmp = copy.resolveSibling(copy.getFileName() + ".tmp");
        Files.copy(key, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class).setGroup(group.get());
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r-----"));
        Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return copy;
    }

}
