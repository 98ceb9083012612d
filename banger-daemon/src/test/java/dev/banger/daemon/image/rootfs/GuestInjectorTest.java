package dev.banger.daemon.image.rootfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message-of-the-day guard in sshd's PAM stack: added before each pam_motd line of a Debian
 * image (once, however often the image is finalized), and never where the image lacks the module
 * it needs or leads the path through a symlink.
 */
class GuestInjectorTest {

    /** Debian 12's /etc/pam.d/sshd, the part around pam_motd. */
    private static final List<String> DEBIAN_SSHD_PAM = List.of(
            "# PAM configuration for the Secure Shell service",
            "@include common-auth",
            "account    required     pam_nologin.so",
            "@include common-account",
            "session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close",
            "session    required     pam_loginuid.so",
            "# Print the message of the day upon successful login.",
            "session    optional     pam_motd.so  motd=/run/motd.dynamic",
            "session    optional     pam_motd.so noupdate",
            "session    optional     pam_mail.so standard noenv # [1]",
            "@include common-session",
            "@include common-password");

    @TempDir
    Path tree;

    @BeforeEach
    void debianTree() throws IOException {
        Files.createDirectories(tree.resolve("usr/sbin"));
        Files.writeString(tree.resolve("usr/sbin/sshd"), "");
        Files.createDirectories(tree.resolve("etc/ssh"));
        Files.createDirectories(tree.resolve("etc/pam.d"));
        Files.write(tree.resolve(GuestInjector.SSHD_PAM), DEBIAN_SSHD_PAM);
        Files.createDirectories(tree.resolve("usr/lib/x86_64-linux-gnu/security"));
        Files.writeString(tree.resolve("usr/lib/x86_64-linux-gnu/security/pam_succeed_if.so"), "");
    }

    @Test
    void eachMotdLineOfADebianImageIsSkippedForCommandSessionsOnlyAndOnce() throws IOException {
        GuestInjector.inject(tree, "debian");
        GuestInjector.inject(tree, "debian"); // a rebuilt rootfs goes through it again

        List<String> pam = Files.readAllLines(tree.resolve(GuestInjector.SSHD_PAM));
        assertThat(pam).containsSubsequence(
                GuestInjector.MOTD_GUARD, "session    optional     pam_motd.so  motd=/run/motd.dynamic",
                GuestInjector.MOTD_GUARD, "session    optional     pam_motd.so noupdate",
                "session    optional     pam_mail.so standard noenv # [1]");
        assertThat(pam.stream().filter(GuestInjector.MOTD_GUARD::equals)).as("one guard per pam_motd line").hasSize(2);
        assertThat(pam.stream().filter(GuestInjector.MOTD_GUARD_COMMENT::equals)).hasSize(1);
        assertThat(pam).as("every line of the image's own stack kept").containsAll(DEBIAN_SSHD_PAM);
        assertThat(pam).hasSize(DEBIAN_SSHD_PAM.size() + 3);
    }

    @Test
    void anImageWithoutPamSucceedIfKeepsItsStackAsItIs() throws IOException {
        Files.delete(tree.resolve("usr/lib/x86_64-linux-gnu/security/pam_succeed_if.so"));

        GuestInjector.inject(tree, "minimal");

        assertThat(Files.readAllLines(tree.resolve(GuestInjector.SSHD_PAM))).isEqualTo(DEBIAN_SSHD_PAM);
    }

    @Test
    void aPamFileReachedThroughASymlinkIsNeitherReadNorWritten() throws IOException {
        Path outside = Files.createDirectories(tree.resolveSibling(tree.getFileName() + "-outside"));
        Files.write(outside.resolve("sshd"), DEBIAN_SSHD_PAM);
        Files.delete(tree.resolve(GuestInjector.SSHD_PAM));
        Files.delete(tree.resolve("etc/pam.d"));
        Files.createSymbolicLink(tree.resolve("etc/pam.d"), outside);

        GuestInjector.inject(tree, "linked");

        assertThat(Files.readAllLines(outside.resolve("sshd"))).as("the file the link points at").isEqualTo(DEBIAN_SSHD_PAM);
    }
}
