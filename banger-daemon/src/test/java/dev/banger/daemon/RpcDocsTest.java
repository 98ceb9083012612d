package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.rpc.Method;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/rpc.md promises "a test fails when they differ": this is that test. */
class RpcDocsTest {

    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\|.*\\| (yes|no) \\|\\s*$");

    private static Path rpcDoc() {
        Path moduleDir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return moduleDir.getParent().resolve("docs").resolve("rpc.md");
    }

    /** Rows of the table under "## Methods": method name to its "tracked" column. */
    private static Map<String, Boolean> documentedMethods() throws IOException {
        Map<String, Boolean> rows = new LinkedHashMap<>();
        boolean inMethods = false;
        for (String line : Files.readAllLines(rpcDoc())) {
            if (line.startsWith("## ")) {
                inMethods = line.strip().equals("## Methods");
                continue;
            }
            if (inMethods && line.startsWith("| `")) {
                Matcher m = ROW.matcher(line);
                assertThat(m.matches()).as("methods table row in docs/rpc.md: %s", line).isTrue();
                assertThat(rows.put(m.group(1), m.group(2).equals("yes"))).as("%s documented twice", m.group(1)).isNull();
            }
        }
        return rows;
    }

    @Test
    void theMethodsTableListsTheDaemonsMethodsInOrder() throws IOException {
        List<String> documented = new ArrayList<>(documentedMethods().keySet());
        List<String> served = new ArrayList<>(new Daemon().methods().all().keySet());

        assertThat(documented).isNotEmpty();
        assertThat(documented).containsExactlyElementsOf(served);
    }

    @Test
    void theTrackedColumnMatchesTheMethodTable() throws IOException {
        Map<String, Boolean> documented = documentedMethods();
        Map<String, Boolean> served = new LinkedHashMap<>();
        for (Method m : new Daemon().methods().all().values()) {
            served.put(m.name(), m.tracked());
        }

        assertThat(documented).containsExactlyEntriesOf(served);
    }
}
