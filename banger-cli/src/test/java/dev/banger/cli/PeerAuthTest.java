package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.daemon.exec.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may use the daemon, checked with the real CLI launcher run as other users: a stranger is
 * kept out by the socket's mode and, if the mode is loosened, by the peer-credential check; a
 * member of group banger gets in.
 */
class PeerAuthTest {

    static Path dir;
    static RunningDaemon d;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Launchers.runningAsRoot(), "needs root to run the CLI as other users");
        Launchers.assumeBuilt();
        dir = Launchers.openDirectory("banger-auth");
        d = RunningDaemon.start(dir);
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
            Launchers.deleteTree(dir);
        }
    }

    @Test
    void socketIsGroupOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.socket))).isEqualTo("rw-rw----");
        if (Launchers.userExists("banger-test")) {
            assertThat(Files.readAttributes(d.socket, java.nio.file.attribute.PosixFileAttributes.class).group().getName())
                    .isEqualTo("banger");
        }
    }

    @Test
    void strangerCannotOpenTheSocket() {
        CommandResult r = Launchers.banger("nobody", "--socket", d.socket.toString(), "ping");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(RootCommand.EXIT_UNREACHABLE);
        assertThat(r.stderr()).contains("permission denied on " + d.socket).contains("group 'banger'");
    }

    @Test
    void strangerIsRefusedEvenWhenTheSocketModeIsLoosened() throws Exception {
        Files.setPosixFilePermissions(d.socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        try {
            CommandResult r = Launchers.banger("nobody", "--socket", d.socket.toString(), "ping");
            assertThat(r.exitCode()).as(r.stderr()).isEqualTo(RootCommand.EXIT_FAILED);
            assertThat(r.stderr()).startsWith("banger: user nobody").contains("may not use bangerd")
                    .containsPattern("\\(op [0-9a-f]{12}\\)");
            assertThat(r.stdout()).isEmpty();
        } finally {
            Files.setPosixFilePermissions(d.socket, PosixFilePermissions.fromString("rw-rw----"));
        }
        assertThat(d.cli("ping").exit()).isZero();
    }

    @Test
    void memberOfGroupBangerGetsIn() {
        assumeTrue(Launchers.userExists("banger-test"), "scripts/host-setup.sh creates user banger-test in group banger");
        CommandResult r = Launchers.banger("banger-test", "--socket", d.socket.toString(), "ping");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("pong from bangerd");
        CommandResult v = Launchers.banger("banger-test", "--socket", d.socket.toString(), "version");
        assertThat(v.stdout()).contains("bangerd   ");
    }
}
