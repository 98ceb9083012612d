package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * `banger ssh-config` as a user runs it: the built launcher as banger-test (group banger, not the
 * daemon's user) with HOME set to a temp home of its own, against a real daemon. What ssh then
 * does with the files is VmCliTest's part.
 */
class SshConfigCliTest {

    private static final String USER = "banger-test";
    private static final String MINE = "# my settings\nHost *\n    ServerAliveInterval 30\nHost gh\n    HostName github.com"; // no final newline

    static Path dir;
    static RunningDaemon d;
    Path home;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Launchers.runningAsRoot(), "needs root to run the CLI as another user");
        assumeTrue(Launchers.userExists(USER), "scripts/host-setup.sh creates user banger-test in group banger");
        Launchers.assumeBuilt();
        dir = Launchers.openDirectory("banger-sshcfg");
        d = RunningDaemon.start(Config.under(dir.resolve("banger")));
    }

    @AfterAll
    static void stop() {
        if (d != null) {
            d.close();
        }
        if (dir != null) {
            Launchers.deleteTree(dir);
        }
    }

    @BeforeEach
    void newHome() throws IOException {
        home = Files.createTempDirectory(dir, "home-");
        chown(home);
    }

    @AfterEach
    void dropHome() {
        Launchers.deleteTree(home);
    }

    @Test
    void installIntoAHomeWithoutDotSshThenAgainChangesNothing() throws IOException {
        CommandResult install = sshConfig("--install");

        assertThat(install.exitCode()).as(install.stderr()).isZero();
        Path bangerConfig = home.resolve(".config/banger/ssh_config");
        assertThat(install.stdout()).contains("~/.ssh/config includes ~/.config/banger/ssh_config");
        assertThat(Files.readString(home.resolve(".ssh/config")))
                .isEqualTo("# >>> banger >>>\nInclude " + bangerConfig + "\n# <<< banger <<<\n");
        assertThat(mode(home.resolve(".ssh"))).isEqualTo("rwx------");
        assertThat(mode(home.resolve(".ssh/config"))).isEqualTo("rw-------");
        String sshDir = dir.resolve("banger/state/ssh").toString();
        assertThat(Files.readString(bangerConfig)).contains(
                "Host *.vm\n",
                "    User root\n",
                "    IdentityFile " + sshDir + "/id_ed25519-group\n", // banger-test does not own the 0600 key: the group's copy
                "    IdentitiesOnly yes\n",
                "    UserKnownHostsFile " + sshDir + "/known_hosts\n",
                "    StrictHostKeyChecking yes\n",
                "    ProxyCommand " + Launchers.BANGER.toRealPath() + " --socket " + d.socket + " ssh-proxy %h %p\n");
        assertThat(ownersUnder(home)).as("everything it made belongs to the user").containsOnly(USER);
        // The user's own ssh reads the block through the Include: X25519 first (the guest link never leaves the
        // host), OpenSSH's default set after it. (-F: ssh finds ~/.ssh/config by the passwd entry, not $HOME.)
        CommandResult resolved = Launchers.run(USER, Map.of("HOME", home.toString()), "ssh", "-G", "-F",
                home.resolve(".ssh/config").toString(), "dev.vm");
        assertThat(resolved.exitCode()).as(resolved.stderr()).isZero();
        assertThat(resolved.stdout()).containsPattern("(?m)^kexalgorithms curve25519-sha256,curve25519-sha256@libssh.org,\\S*sntrup761x25519");

        Map<String, String> before = snapshot(home);
        CommandResult again = sshConfig("--install");
        assertThat(again.exitCode()).as(again.stderr()).isZero();
        assertThat(again.stdout()).startsWith("already installed");
        assertThat(snapshot(home)).as("twice is once").isEqualTo(before);
    }

    @Test
    void installKeepsTheUsersConfigAndItsSymlinkAndUninstallRestoresItByteForByte() throws IOException {
        Path dotfiles = Files.createDirectories(home.resolve("dotfiles"));
        Path real = Files.writeString(dotfiles.resolve("ssh_config"), MINE);
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-r--r--"));
        Path ssh = Files.createDirectories(home.resolve(".ssh"));
        Files.createSymbolicLink(ssh.resolve("config"), real);
        chownTree(home);

        CommandResult install = sshConfig("--install");

        assertThat(install.exitCode()).as(install.stderr()).isZero();
        assertThat(Files.isSymbolicLink(ssh.resolve("config"))).as("the dotfiles link stays").isTrue();
        assertThat(Files.readString(real)).startsWith("# >>> banger >>>\nInclude ").endsWith("# <<< banger <<<\n" + MINE);
        assertThat(mode(real)).as("its mode is kept").isEqualTo("rw-r--r--");

        CommandResult uninstall = sshConfig("--uninstall");
        assertThat(uninstall.exitCode()).as(uninstall.stderr()).isZero();
        assertThat(uninstall.stdout()).startsWith("removed banger's Include from ~/.ssh/config");
        assertThat(Files.readString(real)).isEqualTo(MINE);
        assertThat(Files.isSymbolicLink(ssh.resolve("config"))).isTrue();

        CommandResult nothing = sshConfig("--uninstall");
        assertThat(nothing.exitCode()).as("nothing to remove is not an error").isZero();
        assertThat(nothing.stdout()).isEqualTo("~/.ssh/config has no banger Include: nothing to remove\n");
        assertThat(Files.readString(real)).isEqualTo(MINE);
    }

    @Test
    void plainSshConfigWritesAndPrintsTheBlockButLeavesDotSshAlone() throws IOException {
        CommandResult plain = sshConfig();

        assertThat(plain.exitCode()).as(plain.stderr()).isZero();
        assertThat(plain.stdout()).contains("Host *.vm\n").isEqualTo(Files.readString(home.resolve(".config/banger/ssh_config")));
        assertThat(plain.stderr()).contains("banger ssh-config --install");
        assertThat(home.resolve(".ssh")).doesNotExist();
    }

    @Test
    void everyBadInputIsRefusedClearlyAndLeavesNothingBehind() throws IOException {
        Path ssh = Files.createDirectories(home.resolve(".ssh"));
        String handEdited = "# >>> banger >>>\nInclude /somewhere\n" + MINE;
        Files.writeString(ssh.resolve("config"), handEdited);
        chownTree(home);
        Map<String, String> before = snapshot(home);

        CommandResult oneMarker = sshConfig("--install");
        assertThat(oneMarker.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(oneMarker.stderr()).contains("~/.ssh/config has one '# >>> banger >>>' line and no '# <<< banger <<<' lines",
                "edited by hand");
        assertThat(sshConfig("--uninstall").stderr()).contains("edited by hand");
        assertThat(snapshot(home)).as("a refusal changes nothing").isEqualTo(before);

        CommandResult both = sshConfig("--install", "--uninstall");
        assertThat(both.exitCode()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(both.stderr()).contains("--install and --uninstall contradict each other");

        CommandResult noDaemon = Launchers.banger(USER, Map.of("HOME", home.toString()), "--socket", dir.resolve("none.sock").toString(),
                "ssh-config", "--install");
        assertThat(noDaemon.exitCode()).isEqualTo(RootCommand.EXIT_UNREACHABLE);

        CommandResult relativeHome = Launchers.banger(USER, Map.of("HOME", "relative/home"), "--socket", d.socket.toString(),
                "ssh-config", "--install");
        assertThat(relativeHome.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(relativeHome.stderr()).contains("HOME is 'relative/home', not an absolute path");
        assertThat(snapshot(home)).isEqualTo(before);

        // A ~/.ssh the user cannot write into: banger's own ssh_config, written first, goes again.
        Files.delete(ssh.resolve("config"));
        Files.setOwner(ssh, ssh.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> readOnly = snapshot(home);
        CommandResult denied = sshConfig("--install");
        assertThat(denied.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(denied.stderr()).contains("cannot write ~/.ssh/config: permission denied (nothing was changed)");
        assertThat(snapshot(home)).as("no ~/.config/banger left behind").isEqualTo(readOnly);
    }

    @Test
    void sshProxyToAVmThatIsNotThereSaysSo() {
        CliRun proxy = d.cli("ssh-proxy", "nope.vm", "22");
        assertThat(proxy.exit()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(proxy.err()).contains("VM 'nope' not found");
        assertThat(proxy.out()).as("nothing on the SSH stream").isEmpty();
    }

    private CommandResult sshConfig(String... args) {
        String[] argv = Stream.concat(Stream.of("--socket", d.socket.toString(), "ssh-config"), Stream.of(args)).toArray(String[]::new);
        return Launchers.banger(USER, Map.of("HOME", home.toString()), argv);
    }

    /** Every path under {@code root} with its type, mode and content: what a refusal must not change. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String what = Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
                        : mode(p) + (Files.isRegularFile(p) ? " " + Files.readString(p) : "/");
                files.put(root.relativize(p).toString(), what);
            }
        }
        return files;
    }

    private static java.util.Set<String> ownersUnder(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> {
                try {
                    return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(java.util.stream.Collectors.toSet());
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static void chown(Path p) throws IOException {
        Files.setOwner(p, p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER));
    }

    private static void chownTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setOwner(p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER));
            }
        }
    }
}
