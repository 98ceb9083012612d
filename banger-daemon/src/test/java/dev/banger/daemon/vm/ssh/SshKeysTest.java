package dev.banger.daemon.vm.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SshKeysTest {

    private final CommandRunner runner = new CommandRunner();

    @TempDir
    Path dir;

    @Test
    void generatesAnEd25519KeyPairThatOpenSshReads() throws Exception {
        SshKeys keys = SshKeys.ensure(dir.resolve("ssh"), runner);

        assertThat(keys.privateKey()).isEqualTo(dir.resolve("ssh/id_ed25519"));
        assertThat(keys.publicKey()).matches("ssh-ed25519 AAAA[A-Za-z0-9+/=]+ banger");
        assertThat(keys.publicKey()).startsWith(publicKeyOpenSshDerives(keys.privateKey()));
    }

    @Test
    void filesHaveTheModesSshAndTheBangerGroupNeed() throws Exception {
        SshKeys keys = SshKeys.ensure(dir.resolve("ssh"), runner);

        GroupPrincipal banger = bangerGroup();
        assertThat(mode(dir.resolve("ssh"))).as("members' ssh reaches in, no one else").isEqualTo(banger != null ? "rwxr-x---" : "rwx------");
        assertThat(mode(keys.knownHosts())).isEqualTo(banger != null ? "rw-r-----" : "rw-------");
        assertThat(keys.knownHosts()).isEmptyFile();
        assertThat(mode(keys.privateKey())).as("OpenSSH refuses its own user a key others can read").isEqualTo("rw-------");
        assertThat(mode(keys.privateKey().resolveSibling("id_ed25519.pub"))).isEqualTo("rw-------");
        if (banger != null) {
            assertThat(attributes(dir.resolve("ssh")).group()).isEqualTo(banger);
            assertThat(attributes(keys.knownHosts()).group()).isEqualTo(banger);
            Path shared = keys.groupKey().orElseThrow();
            assertThat(mode(shared)).isEqualTo("rw-r-----");
            assertThat(attributes(shared).group()).isEqualTo(banger);
            assertThat(Files.readAllBytes(shared)).isEqualTo(Files.readAllBytes(keys.privateKey()));
        } else {
            assertThat(keys.groupKey()).isEmpty();
        }
        try (var files = Files.list(dir.resolve("ssh"))) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no scratch left behind")
                    .containsExactlyInAnyOrderElementsOf(banger != null
                            ? List.of("id_ed25519", "id_ed25519-group", "id_ed25519.pub", "known_hosts")
                            : List.of("id_ed25519", "id_ed25519.pub", "known_hosts"));
        }
    }

    @Test
    void aSecondEnsureReusesTheKeyAndKnownHosts() throws Exception {
        SshKeys first = SshKeys.ensure(dir.resolve("ssh"), runner);
        byte[] privateKey = Files.readAllBytes(first.privateKey());
        Files.writeString(first.knownHosts(), "guest ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfQLNCl7g6ddM/zUMmNw09jKoYMHrr/VphfG6LAjS3t\n");

        SshKeys second = SshKeys.ensure(dir.resolve("ssh"), runner);

        assertThat(second.publicKey()).isEqualTo(first.publicKey());
        assertThat(Files.readAllBytes(second.privateKey())).isEqualTo(privateKey);
        assertThat(second.knownHosts()).content().startsWith("guest ssh-ed25519");
    }

    @Test
    void aHalfGeneratedPairIsReplaced() throws Exception {
        SshKeys first = SshKeys.ensure(dir.resolve("ssh"), runner);
        Files.delete(dir.resolve("ssh/id_ed25519.pub"));

        SshKeys second = SshKeys.ensure(dir.resolve("ssh"), runner);

        assertThat(second.publicKey()).isNotEqualTo(first.publicKey());
        assertThat(second.publicKey()).startsWith(publicKeyOpenSshDerives(second.privateKey()));
    }

    /**
     * What {@code ssh-keygen -y} makes of the private key: proof the format suits OpenSSH. From a
     * 0600 copy, since OpenSSH refuses a group-readable key its own user owns (the key is 0640 for
     * the banger group's members; GuestSshTest logs in as one).
     */
    private String publicKeyOpenSshDerives(Path privateKey) throws Exception {
        Path copy = Files.copy(privateKey, dir.resolve("copy"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
        return runner.run("ssh-keygen", "-y", "-f", copy.toString()).stdout().strip();
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(attributes(p).permissions());
    }

    private static PosixFileAttributes attributes(Path p) throws Exception {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private GroupPrincipal bangerGroup() throws Exception {
        try {
            return dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(SshKeys.GROUP);
        } catch (UserPrincipalNotFoundException e) {
            return null;
        }
    }
}
