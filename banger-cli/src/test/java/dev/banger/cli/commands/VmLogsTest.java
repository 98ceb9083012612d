package dev.banger.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.cli.console.TerminalEscapes;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of `vm logs` that need no daemon: what is new while following, --since, escapes. */
class VmLogsTest {

    @Test
    void followingPrintsOnlyWhatTheConsoleAdded() {
        assertThat(VmLogsCommand.fresh(List.of("a", "b"), List.of("a", "b", "c"))).containsExactly("c");
        assertThat(VmLogsCommand.fresh(List.of("a", "b", "c"), List.of("b", "c", "d", "e"))).as("the window slid").containsExactly("d", "e");
        assertThat(VmLogsCommand.fresh(List.of("a", "b"), List.of("a", "b", "a", "b"))).as("repeated lines").containsExactly("a", "b");
        assertThat(VmLogsCommand.fresh(List.of("x"), List.of("y"))).as("nothing shared: all new").containsExactly("y");
    }

    @Test
    void sinceCountsKernelTimestampsFromTheStart() {
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        List<String> lines = List.of("[    0.500000] early", "init says hi", "[   10.250000] late", "after late");
        assertThat(VmLogsCommand.since(lines, start, start.plusSeconds(5))).containsExactly("[   10.250000] late", "after late");
        assertThat(VmLogsCommand.since(lines, start, start)).hasSize(4);
        Instant now = Instant.parse("2026-01-01T01:00:00Z");
        assertThat(VmLogsCommand.parseSince("10m", now)).isEqualTo(now.minusSeconds(600));
        assertThat(VmLogsCommand.parseSince("2026-01-01T00:30:00Z", now)).isEqualTo(Instant.parse("2026-01-01T00:30:00Z"));
        assertThatThrownBy(() -> VmLogsCommand.parseSince("yesterday", now)).isInstanceOf(UsageException.class)
                .hasMessageContaining("--since 'yesterday'");
    }

    @Test
    void escapesAndControlCharactersAreRemoved() {
        assertThat(TerminalEscapes.strip("\u001b[1;31mred\u001b[0m \u001b]0;title\u0007t\u001b[?25lx\u001bcy\u0007\u0008z\tend"))
                .isEqualTo("red txyz\tend");
    }
}
