package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.BuildInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** bangerd's command line as an operator meets it: exit codes and what it prints. */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BangerdTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeAll
    static void startLoggingFirst() {
        LoggerFactory.getLogger(BangerdTest.class);
    }

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private int bangerd(String... args) {
        return new CommandLine(new Bangerd()).execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path config(String toml) throws IOException {
        Path f = dir.resolve("bangerd.toml");
        Files.writeString(f, toml);
        return f;
    }

    /** A config that keeps every path inside the test's directory. */
    private String paths() {
        return "state_dir = \"" + dir.resolve("state") + "\"\n"
                + "cache_dir = \"" + dir.resolve("cache") + "\"\n"
                + "runtime_dir = \"" + dir.resolve("run") + "\"\n";
    }

    @Test
    void anUnknownKeyExitsWith2AndNamesTheKey() throws IOException {
        Path f = config(paths() + "listen_adress = \"/tmp/x\"\n");

        int code = bangerd("--config", f.toString());

        assertThat(code).isEqualTo(2);
        assertThat(stderr()).contains("bangerd: config file " + f
                + ": unknown key 'listen_adress' (see docs/config.md for the keys bangerd reads)");
        assertThat(dir.resolve("state")).as("nothing is touched on a bad config").doesNotExist();
    }

    @Test
    void aMistypedValueExitsWith2AndNamesTheKey() throws IOException {
        Path f = config("state_dir = 5\n");

        assertThat(bangerd("--config", f.toString())).isEqualTo(2);
        assertThat(stderr()).contains("'state_dir'").contains("must be a string");
    }

    @Test
    void aMissingConfigFileExitsWith2() {
        Path f = dir.resolve("absent.toml");

        assertThat(bangerd("--config", f.toString())).isEqualTo(2);
        assertThat(stderr()).contains(f.toString()).contains("does not exist");
    }

    @Test
    void aCorruptStateDatabaseExitsWith1AndSaysSo() throws IOException {
        Path db = dir.resolve("state").resolve("banger.db");
        Files.createDirectories(db.getParent());
        byte[] junk = new byte[8192];
        new Random(3).nextBytes(junk);
        Files.write(db, junk);
        Path f = config(paths());

        int code = bangerd("--config", f.toString());

        assertThat(code).isEqualTo(1);
        assertThat(stderr())
                .contains("bangerd: state database " + db + " is not a valid SQLite database")
                .contains("move it aside")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("run").resolve("bangerd.sock")).as("no socket is left behind").doesNotExist();
    }

    @Test
    void versionPrintsOneLineWithVersionCommitAndBuildTime() {
        int code = bangerd("--version");

        assertThat(code).isZero();
        String printed = stdout();
        assertThat(printed.lines()).singleElement().satisfies(line -> {
            assertThat(line).matches("bangerd \\S+ \\(commit \\S+, built \\S+\\)");
            assertThat(line).startsWith("bangerd " + BuildInfo.current().version() + " ");
            assertThat(line).doesNotContain("${");
        });
        assertThat(BuildInfo.current().version()).as("the build stamps the project version").isNotEqualTo("dev");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        int code = bangerd("--confg", "x");

        assertThat(code).isEqualTo(2);
        assertThat(stderr()).contains("--confg");
    }
}
