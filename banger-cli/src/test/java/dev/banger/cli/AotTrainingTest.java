package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AotTrainingTest {

    @Test
    void commandLinesAreSplitAtTripleDashes() {
        assertThat(AotTraining.commandLines(new String[] {"--socket", "s", "ping", "---", "vm", "list", "---", "--help"}))
                .containsExactly(List.of("--socket", "s", "ping"), List.of("vm", "list"), List.of("--help"));
        assertThat(AotTraining.commandLines(new String[] {"ping"})).containsExactly(List.of("ping"));
    }
}
