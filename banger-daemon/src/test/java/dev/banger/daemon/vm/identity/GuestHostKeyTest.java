package dev.banger.daemon.vm.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestHostKeyTest {

    private final CommandRunner runner = new CommandRunner();

    @TempDir
    Path dir;

    @Test
    void theKeyFileTheGuestWritesIsOneOpenSshReadsAndServesThePinnedPublicKey() throws Exception {
        GuestHostKey key = GuestHostKey.generate();
        Path file = writtenAsTheGuestDoes(key);

        CommandResult derived = runner.runAllowingFailure(Command.of("ssh-keygen", "-y", "-f", file.toString()));

        assertThat(derived.exitCode()).as(derived.stderr()).isZero();
        assertThat(derived.stdout().strip()).startsWith(key.publicKey().type() + " " + key.publicKey().base64());
    }

    @Test
    void eachCloneGetsAKeyOfItsOwn() {
        assertThat(GuestHostKey.generate().publicKey()).isNotEqualTo(GuestHostKey.generate().publicKey());
    }

    @Test
    void thePrivateHalfNeverShowsInWhatMayBeLogged() {
        GuestHostKey key = GuestHostKey.generate();
        GuestIdentity identity = new GuestIdentity("172.16.0.5/24", "172.16.0.1", "02:00:00:00:00:05", "a", null,
                "0".repeat(32), Instant.EPOCH, "00", key);

        assertThat(identity.toString()).doesNotContain(key.privateKeyBody()).contains(key.publicKey().base64());
        assertThat(identity.line("n")).as("one line of words, as the agent splits it")
                .contains(" host_key=" + key.privateKeyBody() + " ", " host_pub=" + key.publicKey().base64())
                .endsWith("\n").doesNotContain("\n\n");
    }

    /** As banger-init's agent writes it: the body on one line between the BEGIN and END lines, 0600. */
    private Path writtenAsTheGuestDoes(GuestHostKey key) throws Exception {
        Path file = dir.resolve("ssh_host_ed25519_key");
        Files.writeString(file, String.join("\n", List.of("-----BEGIN OPENSSH PRIVATE KEY-----", key.privateKeyBody(),
                "-----END OPENSSH PRIVATE KEY-----")) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
