package dev.banger.daemon.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.DaemonUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one tree delete: links are removed, not followed; a filesystem mounted inside the tree is not entered. */
class FileTreesTest {

    private static final CommandRunner RUNNER = new CommandRunner();

    @TempDir
    Path dir;

    @Test
    void aLinkOutOfTheTreeIsRemovedAndItsTargetKept() throws IOException {
        Path outside = Files.writeString(dir.resolve("outside"), "keep");
        Path tree = Files.createDirectories(dir.resolve("tree/a/b"));
        Files.createSymbolicLink(tree.resolve("link"), outside);
        Files.createSymbolicLink(tree.resolve("dirlink"), dir);

        FileTrees.delete(dir.resolve("tree"));

        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(outside).hasContent("keep");
    }

    @Test
    void aMountInsideTheTreeIsNeitherEnteredNorRemoved() throws IOException {
        assumeTrue(DaemonUser.isRoot(), "mounting needs root");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Path mount = Files.createDirectory(tree.resolve("mnt"));
        RUNNER.run(Command.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString()));
        try {
            Path inside = Files.writeString(mount.resolve("file"), "on another filesystem");

            assertThatThrownBy(() -> FileTrees.delete(tree)).isInstanceOf(IOException.class)
                    .hasMessageContaining(mount + " is on another filesystem");

            assertThat(inside).hasContent("on another filesystem");
        } finally {
            RUNNER.runAllowingFailure(Command.of("umount", "-l", mount.toString()));
        }
        FileTrees.delete(tree);
        assertThat(tree).doesNotExist();
    }
}
