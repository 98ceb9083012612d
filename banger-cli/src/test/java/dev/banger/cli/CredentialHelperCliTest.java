package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.MediaTypes;
import dev.banger.daemon.image.testing.TestImage;
import dev.banger.daemon.image.testing.TestLayer;
import dev.banger.daemon.image.testing.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `banger image pull` from a registry that wants Basic credentials, which only a docker
 * credential helper of the invoking user knows: the CLI, run as the non-root user banger-test,
 * runs {@code docker-credential-test} (named by its ~/.docker/config.json) as that user and hands
 * the answer to the daemon for the pull.
 */
class CredentialHelperCliTest {

    private static final String USER = "banger-test";
    static Path dir;
    static TestRegistry registry;
    static RunningDaemon d;
    static Path home;
    static Path bin;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Launchers.runningAsRoot(), "needs root to run the CLI as another user");
        assumeTrue(Launchers.userExists(USER), "scripts/host-setup.sh creates user banger-test in group banger");
        Launchers.assumeBuilt();
        dir = Launchers.openDirectory("banger-creds");
        registry = TestRegistry.startWithHtpasswd(Files.createDirectories(dir.resolve("registry")), "alice", "s3cret");
        registry.push("private/app", "v1", TestImage.image(List.of(new TestLayer().dir("usr", 0755).dir("usr/sbin", 0755)
                .file("usr/sbin/sshd", "#!/bin/sh\n", 0755, 0, 0).dir("root", 0700).file("root/.profile", "x").gzip()),
                MediaTypes.OCI_LAYER_GZIP));
        d = RunningDaemon.start(dir.resolve("banger"));

        home = Files.createDirectories(dir.resolve("home/.docker")).getParent();
        bin = Files.createDirectories(dir.resolve("bin"));
        Path helper = bin.resolve("docker-credential-test");
        Files.writeString(helper, """
                #!/bin/sh
                # docker's credential helper protocol: `get`, the server on stdin, {ServerURL, Username, Secret} on stdout.
                [ "$1" = get ] || exit 2
                read server
                id -u > "$HOME/helper-uid"
                printf '%s\\n' "$server" > "$HOME/helper-server"
                printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\\n' "$server"
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        new CommandRunner().run(Command.of("chown", "-R", USER, home.toString()));
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (dir != null) {
            Launchers.deleteTree(dir);
        }
    }

    private static CommandResult pullAsUser(String dockerConfig, String name) throws Exception {
        Files.writeString(home.resolve(".docker/config.json"), dockerConfig);
        Map<String, String> env = Map.of("HOME", home.toString(), "PATH", bin + ":" + System.getenv("PATH"));
        return Launchers.banger(USER, env, "--socket", d.socket.toString(), "image", "pull", registry.host() + "/private/app:v1",
                "--name", name);
    }

    @Test
    void aCredentialHelperOfTheInvokingUserUnlocksThePullAndRunsAsThatUser() throws Exception {
        CommandResult r = pullAsUser("{\"credHelpers\": {\"" + registry.host() + "\": \"test\"}}", "private-app");

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("name       private-app");
        String uid = new CommandRunner().run(Command.of("id", "-u", USER)).stdout().strip();
        assertThat(home.resolve("helper-uid")).as("the helper ran as " + USER + ", not root").hasContent(uid);
        assertThat(home.resolve("helper-server")).hasContent(registry.host());
        assertThat(r.stdout() + r.stderr()).doesNotContain("s3cret");
    }

    @Test
    void withoutTheHelperTheRegistryRefusesThePull() throws Exception {
        CommandResult r = pullAsUser("{\"auths\": {}}", "refused-app");

        assertThat(r.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(r.stderr()).contains("registry " + registry.host() + " refused access to private/app");
    }
}
