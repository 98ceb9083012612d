package dev.banger.cli.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aLiveBarShowsTheRateAndTimeLeftEvenWithNoColor() {
        StringWriter err = new StringWriter();
        Terminal noColour = new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(err), true, true, true);
        AtomicLong clock = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(noColour, clock::get);
        p.onProgress(Map.of("stage", "download", "done", 0, "total", 100L << 20));
        clock.addAndGet(2 * SECOND);
        p.onProgress(Map.of("stage", "download", "done", 20L << 20, "total", 100L << 20));
        String last = err.toString().substring(err.toString().lastIndexOf('\r'));
        assertThat(last).as("10 MiB/s, 80 MiB to go").contains("download", "20M / 100M", "10M/s", "ETA 8s").doesNotContain("\u001b[");

        clock.addAndGet(SECOND / 10);
        p.onProgress(Map.of("stage", "unpack", "done", 1L << 20, "total", 0));
        assertThat(err.toString().substring(err.toString().lastIndexOf('\r')))
                .as("a new stage measures its own rate, not in its first half second").contains("unpack  1M").doesNotContain("/s");
    }

    @Test
    void withoutATerminalOneLinePerStage() {
        StringWriter err = new StringWriter();
        ProgressPrinter p = new ProgressPrinter(new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(err), false, false), () -> 0);
        p.onProgress(Map.of("stage", "download", "done", 0, "total", 1L << 20));
        p.onProgress(Map.of("stage", "download", "done", 1L << 19, "total", 1L << 20));
        p.onProgress(Map.of("stage", "unpack"));
        p.finish();
        assertThat(err.toString()).isEqualTo("  download (1M)\n  unpack\n");
    }

    @Test
    void etaIsShort() {
        assertThat(ProgressPrinter.eta(8)).isEqualTo("8s");
        assertThat(ProgressPrinter.eta(65)).isEqualTo("1m05s");
        assertThat(ProgressPrinter.eta(3723)).isEqualTo("1h02m");
    }
}
