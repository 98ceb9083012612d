package dev.banger.cli.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimesAndTemplatesTest {

    private static Terminal terminal(boolean tty) {
        return new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), tty, tty, true);
    }

    @Test
    void relativeOnATerminalIsoOtherwise() {
        Instant now = Instant.parse("2026-01-01T12:00:00Z");
        assertThat(Times.cell(terminal(true), Instant.parse("2026-01-01T11:57:00Z"), now)).isEqualTo("3 minutes ago");
        assertThat(Times.cell(terminal(false), Instant.parse("2026-01-01T11:57:00Z"), now)).isEqualTo("2026-01-01T11:57:00Z");
        assertThat(Times.cell(terminal(true), null, now)).isEqualTo("-");
        assertThat(Times.ago(Duration.ofMillis(300))).isEqualTo("less than a second ago");
        assertThat(Times.ago(Duration.ofSeconds(1))).isEqualTo("1 second ago");
        assertThat(Times.ago(Duration.ofHours(25))).isEqualTo("1 day ago");
        assertThat(Times.ago(Duration.ofDays(800))).isEqualTo("2 years ago");
    }

    @Test
    void templatesFillFieldsAndNameWhatIsWrong() {
        RowTemplate t = RowTemplate.parse("{{.Name}}\\t{{ .ip }} is {{.State}}", List.of("Name", "IP", "State"));
        assertThat(t.render(Map.of("Name", "dev", "IP", "172.16.0.2", "State", "running"))).isEqualTo("dev\t172.16.0.2 is running");
        assertThat(t.render(Map.of("Name", "dev"))).isEqualTo("dev\t is ");
        assertThatThrownBy(() -> RowTemplate.parse("{{.Nope}}", List.of("Name"))).hasMessageContaining("unknown field '.Nope'")
                .hasMessageContaining(".Name");
        assertThatThrownBy(() -> RowTemplate.parse("{{.Name", List.of("Name"))).hasMessageContaining("'{{' without '}}'");
    }
}
