package dev.banger.daemon.vm.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleTailTest {

    @TempDir
    Path dir;

    @Test
    void linesJustRotatedToConsoleLog1StillShowInTheTail() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(dir.resolve("console.log.1"), "old 1\nold 2\nKernel panic - not syncing\n");
        Files.writeString(log, "new 1\n");

        ConsoleTail tail = ConsoleTail.read(log, 3);

        assertThat(tail.lines()).containsExactly("old 2", "Kernel panic - not syncing", "new 1");
        assertThat(tail.diagnosis()).contains("panicked");
        Files.writeString(log, "a\nb\nc\nd\n");
        assertThat(ConsoleTail.read(log, 3).lines()).as("enough lines: the rotated file is not read").containsExactly("b", "c", "d");
        assertThat(ConsoleTail.read(dir.resolve("none.log"), 3).lines()).isEmpty();
    }
}
