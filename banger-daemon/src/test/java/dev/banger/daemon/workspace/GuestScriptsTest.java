package dev.banger.daemon.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's side of a ship, run here by the host's sh, tar and git on a directory standing in
 * for the guest's /root: a full ship swaps the tree in whole, a stream cut short leaves the old
 * tree and no temporary directory, an update deletes then copies, export diffs against what was
 * shipped without touching the index.
 */
class GuestScriptsTest {

    private final CommandRunner runner = new CommandRunner();

    @TempDir
    Path tmp;

    @Test
    void fullShipUpdateAndExportWorkOnARealTree() throws Exception {
        Path work = tmp.resolve("root/repo");
        Path src = repo(tmp.resolve("src"));
        Files.writeString(src.resolve(".git/banger/manifest.new"), "head x\n");

        CommandResult ship = sh(GuestScripts.ship(work.toString(), true), tar(src, "."));
        assertThat(ship.exitCode()).as(ship.stderr()).isZero();
        assertThat(ship.stdout()).startsWith("git ");
        assertThat(Files.readString(work.resolve("a.txt"))).isEqualTo("one\n");
        assertThat(Files.readString(work.resolve(".git/banger/manifest"))).isEqualTo("head x\n");
        assertThat(work.resolve(".git/banger/base-tree")).exists();

        // Cut short: the old tree stays, nothing temporary is left beside it.
        byte[] whole = tar(src, ".");
        CommandResult cut = sh(GuestScripts.ship(work.toString(), true), Arrays.copyOf(whole, whole.length / 2));
        assertThat(cut.exitCode()).isEqualTo(GuestScripts.FAILED);
        assertThat(cut.stderr()).containsAnyOf("the shipped stream was cut short", "extracting the shipped files in the guest failed");
        assertThat(Files.readString(work.resolve("a.txt"))).isEqualTo("one\n");
        try (var left = Files.list(work.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("repo");
        }

        // The guest edits; the manifest lists it as changed; export gives a patch; the index stays.
        Files.writeString(work.resolve("a.txt"), "guest\n");
        Files.writeString(work.resolve("new.txt"), "new\n");
        byte[] indexBefore = Files.readAllBytes(work.resolve(".git/index"));
        CommandResult manifest = sh(GuestScripts.manifest(work.toString()), new byte[0]);
        assertThat(manifest.stdout()).isEqualTo("head x\n--\na.txt\nnew.txt\nHEAD\n");
        CommandResult export = sh(GuestScripts.export(work.toString()), new byte[0]);
        assertThat(export.exitCode()).as(export.stderr()).isZero();
        assertThat(export.stdout()).contains("diff --git a/a.txt b/a.txt", "+guest", "new file mode 100644");
        assertThat(Files.readAllBytes(work.resolve(".git/index"))).isEqualTo(indexBefore);

        // An update: the deletion list first, then the files copied over.
        Path update = Files.createDirectories(tmp.resolve("update/.git/banger"));
        Files.writeString(update.resolve("deleted"), "b.txt\n");
        Files.writeString(update.resolve("manifest.new"), "head y\n");
        Files.writeString(update.resolve("shipped"), "");
        Files.writeString(update.getParent().getParent().resolve("c.txt"), "three\n");
        CommandResult up = sh(GuestScripts.ship(work.toString(), false), tar(tmp.resolve("update"), "."));
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        assertThat(work.resolve("b.txt")).doesNotExist();
        assertThat(Files.readString(work.resolve("c.txt"))).isEqualTo("three\n");
        assertThat(Files.readString(work.resolve(".git/banger/manifest"))).isEqualTo("head y\n");
        assertThat(work.resolve(".git/banger/deleted")).doesNotExist();
    }

    @Test
    void aTreeNeverShippedSaysSo() {
        assertThat(sh(GuestScripts.manifest(tmp.resolve("root/none").toString()), new byte[0]).exitCode()).isEqualTo(GuestScripts.NOT_PREPARED);
        assertThat(sh(GuestScripts.export(tmp.resolve("root/none").toString()), new byte[0]).exitCode()).isEqualTo(GuestScripts.NOT_PREPARED);
    }

    @Test
    void guestPathsThatCouldHitTheWrongDirectoryAreRefused() {
        for (String bad : List.of("/", "/root", "root/repo", "/root/../etc", "/root/./repo", "/root/my repo", "/root/$(x)", "/root/a'b")) {
            assertThatThrownBy(() -> GuestScripts.checkedPath(bad)).as(bad).hasMessageContaining("'" + bad + "' is not allowed");
        }
        assertThat(GuestScripts.checkedPath("/srv/work.tree-1")).isEqualTo("/srv/work.tree-1");
    }

    private Path repo(Path dir) throws IOException {
        Files.createDirectories(dir);
        git(dir, "init", "-q");
        Files.createDirectories(dir.resolve(".git/banger"));
        Files.writeString(dir.resolve(".git/banger/shipped"), "");
        Files.writeString(dir.resolve("a.txt"), "one\n");
        Files.writeString(dir.resolve("b.txt"), "two\n");
        git(dir, "add", "-A");
        git(dir, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "first");
        return dir;
    }

    private void git(Path dir, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
        argv.addAll(List.of(args));
        runner.run(new Command(argv, Duration.ofMinutes(1), null, Map.of("GIT_CONFIG_GLOBAL", "/dev/null"), null));
    }

    /** The tree as a tar whose last entry is .git/banger/shipped, as the CLI writes it. */
    private byte[] tar(Path dir, String what) throws IOException {
        Path file = Files.createTempFile(tmp, "ship", ".tar");
        runner.run("tar", "-C", dir.toString(), "-cf", file.toString(), "--exclude=./.git/banger/shipped", what);
        runner.run("tar", "-C", dir.toString(), "-rf", file.toString(), "./.git/banger/shipped");
        return Files.readAllBytes(file);
    }

    private CommandResult sh(String script, byte[] stdin) {
        return runner.runAllowingFailure(new Command(List.of("sh", "-c", script), Duration.ofMinutes(1), null,
                Map.of("GIT_CONFIG_GLOBAL", "/dev/null"), stdin));
    }
}
