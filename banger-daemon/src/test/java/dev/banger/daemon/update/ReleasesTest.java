package dev.banger.daemon.update;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Releases side by side: the tree install made is adopted, links switch and switch back, prune keeps two. */
class ReleasesTest {

    @TempDir
    Path lib;

    private Path unpacked(String marker) throws Exception {
        Path d = Files.createTempDirectory(lib, ".banger-incoming-");
        Files.createDirectories(d.resolve("bin"));
        Files.writeString(d.resolve("bin/bangerd"), marker);
        return d;
    }

    @Test
    void adoptSwitchSwitchBackAndPrune() throws Exception {
        Files.createDirectories(lib.resolve("banger/bin"));
        Files.writeString(lib.resolve("banger/bin/bangerd"), "installed");
        Releases r = new Releases(lib);

        r.adopt(new ReleaseBundle.Release("0.1.0", "c1", "b1"));
        assertThat(Files.readSymbolicLink(lib.resolve("banger"))).isEqualTo(Path.of("banger-releases/0.1.0"));
        assertThat(lib.resolve("banger/bin/bangerd")).hasContent("installed");
        assertThat(ReleaseBundle.describe(r.dir("0.1.0"))).isEqualTo(new ReleaseBundle.Release("0.1.0", "c1", "b1"));
        r.adopt(new ReleaseBundle.Release("0.1.0", "c1", "b1")); // a link already: nothing to do
        assertThat(r.currentVersion()).contains("0.1.0");

        r.add(unpacked("two"), "0.2.0");
        r.switchTo("0.2.0");
        assertThat(lib.resolve("banger/bin/bangerd")).hasContent("two");
        assertThat(r.previousVersion()).contains("0.1.0");

        r.add(unpacked("three"), "0.3.0");
        r.switchTo("0.3.0");
        r.switchBack("0.2.0", Optional.of("0.1.0"));
        assertThat(r.currentVersion()).contains("0.2.0");
        assertThat(r.previousVersion()).contains("0.1.0");

        r.switchTo("0.3.0");
        r.prune();
        assertThat(lib.resolve("banger-releases/0.1.0")).doesNotExist();
        assertThat(lib.resolve("banger-releases/0.2.0/bin/bangerd")).hasContent("two");
        assertThat(lib.resolve("banger/bin/bangerd")).hasContent("three");
        try (var left = Files.list(lib)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("banger", "banger.previous", "banger-releases");
        }
    }
}
