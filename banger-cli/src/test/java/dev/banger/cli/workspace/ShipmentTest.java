package dev.banger.cli.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.cli.exec.ProcessLauncher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shipment unpacked by the host's own GNU tar (as the guest's tar would) is a git work tree
 * that says what the host's says: same HEAD, same {@code git status}, same identity; an update
 * applied over it gives the same result as a fresh ship. No VM needed.
 */
class ShipmentTest {

    @TempDir
    Path tmp;

    @Test
    void anUnpackedShipmentIsTheSameWorkTreeAsTheHosts() throws Exception {
        Path repo = repo();
        Files.writeString(repo.resolve("a.txt"), "edited\n");               // an uncommitted edit
        Files.delete(repo.resolve("gone.txt"));                           // a deletion not committed
        Files.writeString(repo.resolve("new.txt"), "untracked\n");         // untracked, shipped with the flag
        Files.writeString(repo.resolve("staged.txt"), "staged\n");
        git(repo, "add", "staged.txt");
        Files.writeString(repo.resolve("ignored.log"), "never shipped\n");

        Shipment s = Shipment.plan(repo.resolve("sub"), new Shipment.Options(true, null));
        assertThat(s.root()).isEqualTo(repo.toRealPath());
        Path guest = unpack(s.stream(null, false), Files.createDirectory(tmp.resolve("guest")));

        assertThat(guest.resolve("ignored.log")).doesNotExist();
        assertThat(guest.resolve("gone.txt")).doesNotExist();
        assertThat(Files.readSymbolicLink(guest.resolve("link"))).isEqualTo(Path.of("sub/tool.sh"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(guest.resolve("sub/tool.sh")))).isEqualTo("rwxr-xr-x");
        assertThat(git(guest, "status", "--porcelain")).isEqualTo(git(repo, "status", "--porcelain")).contains(" M a.txt", "?? new.txt");
        assertThat(git(guest, "rev-parse", "HEAD")).isEqualTo(git(repo, "rev-parse", "HEAD"));
        assertThat(git(guest, "log", "-1", "--format=%s")).isEqualTo("first\n");
        assertThat(git(guest, "config", "user.email")).isEqualTo("ada@example.org\n");
        assertThat(git(guest, "diff")).isEqualTo(git(repo, "diff"));
        assertThat(git(guest, "diff", "--cached")).isEqualTo(git(repo, "diff", "--cached"));

        // Host edits two files, removes one, adds one: the update carries only those.
        Files.writeString(repo.resolve("b.txt"), "changed on the host\n");
        Files.delete(repo.resolve("sub/c.txt"));
        Files.writeString(repo.resolve("d.txt"), "added\n");
        git(repo, "add", "d.txt");
        Files.move(guest.resolve(".git/banger/manifest.new"), guest.resolve(".git/banger/manifest"));
        Shipment again = Shipment.plan(repo, new Shipment.Options(true, null));
        Shipment.Delta delta = again.against(Files.readString(guest.resolve(".git/banger/manifest")), List.of());
        assertThat(delta.send()).containsExactlyInAnyOrder("b.txt", "d.txt");
        assertThat(delta.delete()).containsExactly("sub/c.txt");
        Path staging = unpack(again.stream(delta, true), Files.createDirectory(tmp.resolve("staging")));
        for (String gone : Files.readAllLines(staging.resolve(".git/banger/deleted"))) {
            Files.delete(guest.resolve(gone));
        }
        Files.delete(staging.resolve(".git/banger/deleted"));
        ProcessLauncher.run(List.of("cp", "-a", staging + "/.", guest + "/"), null, Map.of(), new byte[0], Duration.ofMinutes(1));
        assertThat(git(guest, "status", "--porcelain")).isEqualTo(git(repo, "status", "--porcelain")).contains(" D sub/c.txt", "A  d.txt", " M b.txt");
    }

    @Test
    void toAGuestWithGitOnlyWhatTheIndexDoesNotDescribeTravelsAsFiles() throws Exception {
        Path repo = repo();
        Files.writeString(repo.resolve("a.txt"), "edited\n");
        Files.delete(repo.resolve("gone.txt"));
        Files.writeString(repo.resolve("new.txt"), "untracked\n");
        Shipment s = Shipment.plan(repo, new Shipment.Options(true, null));
        Path guest = unpack(s.stream(null, true), Files.createDirectory(tmp.resolve("guest")));
        assertThat(guest.resolve("b.txt")).as("in the pack only").doesNotExist();
        assertThat(Files.readString(guest.resolve("a.txt"))).isEqualTo("edited\n");
        assertThat(guest.resolve(".git/banger/checkout")).content().contains("b.txt", "sub/tool.sh").doesNotContain("a.txt", "new.txt");
        assertThat(Files.readString(guest.resolve(".git/banger/deleted"))).isEqualTo("gone.txt\n");

        // What the guest's script does with them (GuestScripts): check out, then delete.
        ProcessLauncher.Output co = ProcessLauncher.run(List.of("sh", "-c", "git checkout-index -q -u -z --stdin < .git/banger/checkout"
                + " && rm -f gone.txt .git/banger/checkout .git/banger/deleted"), guest, Map.of(), new byte[0], Duration.ofMinutes(1));
        assertThat(co.exitCode()).as(co.stderr()).isZero();
        assertThat(Files.readString(guest.resolve("b.txt"))).isEqualTo("two\n");
        assertThat(Files.isExecutable(guest.resolve("sub/tool.sh"))).isTrue();
        assertThat(git(guest, "status", "--porcelain")).isEqualTo(git(repo, "status", "--porcelain"));
    }

    @Test
    void fromShipsACommittedTreeWithHeadDetachedThere() throws Exception {
        Path repo = repo();
        Files.writeString(repo.resolve("a.txt"), "not committed\n");
        Shipment s = Shipment.plan(repo, new Shipment.Options(false, "HEAD"));
        Path guest = unpack(s.stream(null, false), Files.createDirectory(tmp.resolve("guest")));
        assertThat(Files.readString(guest.resolve("a.txt"))).isEqualTo("one\n");
        assertThat(git(guest, "status", "--porcelain")).isEmpty();
        assertThat(git(guest, "rev-parse", "HEAD")).isEqualTo(git(repo, "rev-parse", "HEAD"));
    }

    @Test
    void namesAndLinksThatCannotBeShippedFaithfullyAreRefusedNamingThem() throws Exception {
        assertThatThrownBy(() -> Shipment.plan(tmp.resolve("missing"), new Shipment.Options(false, null)))
                .isInstanceOf(WorkspaceException.class).hasMessageContaining("missing does not exist");
        Path plain = Files.createDirectory(tmp.resolve("plain"));
        assertThatThrownBy(() -> Shipment.plan(plain, new Shipment.Options(false, null)))
                .hasMessageContaining(plain + " is not in a git work tree");

        Path repo = repo();
        Files.writeString(repo.resolve("bad\nname"), "x");
        git(repo, "add", "-A");
        assertThatThrownBy(() -> Shipment.plan(repo, new Shipment.Options(false, null)))
                .hasMessageContaining("bad\\nname contains a line break");
        git(repo, "rm", "-q", "--cached", "bad\nname");
        Files.delete(repo.resolve("bad\nname"));

        Files.createSymbolicLink(repo.resolve("escape"), Path.of("../../etc/passwd"));
        git(repo, "add", "escape");
        assertThatThrownBy(() -> Shipment.plan(repo, new Shipment.Options(false, null)))
                .hasMessageContaining("escape -> ../../etc/passwd leads out of the work tree");
    }

    private Path repo() throws IOException {
        Path repo = Files.createDirectories(tmp.resolve("repo-" + System.nanoTime()));
        git(repo, "init", "-q", "-b", "main");
        git(repo, "config", "user.name", "Ada");
        git(repo, "config", "user.email", "ada@example.org");
        Files.writeString(repo.resolve("a.txt"), "one\n");
        Files.writeString(repo.resolve("b.txt"), "two\n");
        Files.writeString(repo.resolve("gone.txt"), "bye\n");
        Files.writeString(repo.resolve(".gitignore"), "*.log\n");
        Files.createDirectories(repo.resolve("sub"));
        Files.writeString(repo.resolve("sub/c.txt"), "three\n");
        Files.writeString(repo.resolve("sub/tool.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(repo.resolve("sub/tool.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(repo.resolve("link"), Path.of("sub/tool.sh"));
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "first");
        return repo;
    }

    private static Path unpack(InputStream tar, Path into) throws IOException {
        Path file = into.resolveSibling(into.getFileName() + ".tar");
        try (tar) {
            Files.copy(tar, file);
        }
        ProcessLauncher.Output o = ProcessLauncher.run(List.of("tar", "-x", "-f", file.toString(), "-C", into.toString()), null,
                Map.of(), new byte[0], Duration.ofMinutes(1));
        assertThat(o.exitCode()).as(o.stderr()).isZero();
        return into;
    }

    private static String git(Path dir, String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        argv.addAll(List.of(args));
        ProcessLauncher.Output o = ProcessLauncher.run(argv, null, Map.of("GIT_CONFIG_GLOBAL", "/dev/null"), new byte[0], Duration.ofMinutes(1));
        assertThat(o.exitCode()).as(String.join(" ", argv) + ": " + o.stderr()).isZero();
        return new String(o.stdout(), StandardCharsets.UTF_8);
    }
}
