package dev.banger.daemon.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CommandRunnerTest {

    private final CommandRunner runner = new CommandRunner();

    @Test
    void capturesStdoutAndStderrSeparately() {
        CommandResult r = runner.run("sh", "-c", "echo to-out; echo to-err >&2");

        assertThat(r.ok()).isTrue();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("to-out\n");
        assertThat(r.stderr()).isEqualTo("to-err\n");
    }

    @Test
    void capturesOutputLargerThanAPipeBuffer() {
        CommandResult r = runner.run("sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x; head -c 300000 /dev/zero | tr '\\0' y >&2");

        assertThat(r.stdout()).hasSize(1_000_000).matches("x+");
        assertThat(r.stderr()).hasSize(300_000).matches("y+");
    }

    @Test
    void nonZeroExitNamesCommandStatusAndStderr() {
        assertThatThrownBy(() -> runner.run("sh", "-c", "echo starting; echo 'disk is full' >&2; exit 3"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("`sh -c 'echo starting; echo '\\''disk is full'\\'' >&2; exit 3'`")
                .hasMessageContaining("exited with status 3")
                .hasMessageEndingWith(": disk is full")
                .satisfies(e -> {
                    CommandResult r = ((CommandFailedException) e).result();
                    assertThat(r.exitCode()).isEqualTo(3);
                    assertThat(r.stdout()).isEqualTo("starting\n");
                });
    }

    @Test
    void onlyTheTailOfALongStderrIsInTheMessage() {
        assertThatThrownBy(() -> runner.run("sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i >&2; i=$((i+1)); done; exit 1"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("exited with status 1: ...")
                .hasMessageEndingWith("line-199")
                .hasMessageNotContaining("line-0\n")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(1000));
    }

    @Test
    void runAllowingFailureReturnsTheExitCode() {
        CommandResult r = runner.runAllowingFailure(Command.of("sh", "-c", "echo nope >&2; exit 42"));

        assertThat(r.ok()).isFalse();
        assertThat(r.exitCode()).isEqualTo(42);
        assertThat(r.stderr()).isEqualTo("nope\n");
    }

    @Test
    void timeoutKillsTheProcessAndItsChildren() {
        String marker = marker();
        long started = System.nanoTime();

        assertThatThrownBy(() -> runner.run(Command.of("sh", "-c",
                        "echo about to hang >&2; sleep " + marker + " & sleep " + marker + "; echo never")
                .withTimeout(Duration.ofMillis(500))))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("timed out after 500 ms")
                .hasMessageContaining("sleep " + marker)
                .hasMessageContaining("about to hang")
                .satisfies(e -> assertThat(((CommandFailedException) e).result()).isNull());

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertNoProcessWith(marker);
    }

    @Test
    void aMissingProgramCannotRun() {
        assertThatThrownBy(() -> runner.run("banger-no-such-program-" + marker(), "arg"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageStartingWith("cannot run `banger-no-such-program-")
                .satisfies(e -> assertThat(((CommandFailedException) e).result()).isNull());
    }

    @Test
    void interruptingTheCallerKillsTheProcess() throws Exception {
        String marker = marker();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                runner.run(Command.of("sh", "-c", "sleep " + marker + " & sleep " + marker).withTimeout(Duration.ofSeconds(60)));
            } catch (Throwable t) {
                thrown.set(t);
            }
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        awaitProcessWith(marker, 2);

        caller.interrupt();
        caller.join(Duration.ofSeconds(10));

        assertThat(caller.isAlive()).isFalse();
        assertThat(thrown.get())
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("was cancelled")
                .hasMessageContaining("sleep " + marker);
        assertThat(stillInterrupted).as("the interrupt stays visible to the caller").isTrue();
        assertNoProcessWith(marker);
    }

    @Test
    void stdinIsPassedToTheProcess() {
        byte[] input = "first line\nsecond ☃\n".getBytes(StandardCharsets.UTF_8);

        CommandResult r = runner.run(Command.of("cat").withStdin(input));

        assertThat(r.stdout()).isEqualTo("first line\nsecond ☃\n");
    }

    @Test
    void largeStdinIsPassedWhole() {
        byte[] input = "z".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII);

        CommandResult r = runner.run(Command.of("wc", "-c").withStdin(input));

        assertThat(r.stdout().strip()).isEqualTo(Integer.toString(1 << 20));
    }

    @Test
    void aProgramThatNeverReadsItsLargeStdinStillTimesOut() {
        String marker = marker();
        byte[] input = new byte[4 << 20];
        long started = System.nanoTime();

        assertThatThrownBy(() -> runner.run(Command.of("sleep", marker).withStdin(input).withTimeout(Duration.ofMillis(500))))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("timed out after 500 ms");

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertNoProcessWith(marker);
    }

    @Test
    void withoutStdinTheProcessReadsEndOfFile() {
        CommandResult r = runner.run(Command.of("cat").withTimeout(Duration.ofSeconds(5)));

        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void argumentsWithSpacesAndShellCharactersArePassedVerbatim() {
        CommandResult r = runner.run("printf", "[%s]\\n", "two words", "$HOME", "*", "a;b", "");

        assertThat(r.stdout()).isEqualTo("[two words]\n[$HOME]\n[*]\n[a;b]\n[]\n");
    }

    @Test
    void extraEnvironmentAndWorkingDirectoryApply(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("here.txt"), "");

        CommandResult r = runner.run(Command.of("sh", "-c", "echo \"$BANGER_TEST_VAR\"; ls")
                .withEnv(Map.of("BANGER_TEST_VAR", "value with spaces"))
                .withWorkDir(dir));

        assertThat(r.stdout()).isEqualTo("value with spaces\nhere.txt\n");
    }

    @Test
    void displayQuotesArgumentsTheWayAShellWouldNeed() {
        assertThat(Command.of("ip", "link", "add", "it's here", "", "$x").display())
                .isEqualTo("ip link add 'it'\\''s here' '' '$x'");
    }

    @Test
    void aCommandNeedsAProgram() {
        assertThatThrownBy(() -> new Command(List.of(), Command.DEFAULT_TIMEOUT, null, Map.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBackgroundProcessRunsUntilStoppedWithItsOutputInTheLogFile(@TempDir Path dir) throws Exception {
        String marker = marker();
        Path logFile = dir.resolve("server.log");

        BackgroundProcess bg = runner.start(Command.of("sh", "-c", "echo ready; echo warn >&2; sleep " + marker + " & sleep " + marker)
                .withTimeout(Duration.ofMillis(100)), logFile);
        awaitProcessWith(marker, 2);
        Thread.sleep(300); // longer than the command's timeout, which does not apply here

        assertThat(bg.isAlive()).isTrue();
        assertThat(bg.exitCode()).isEmpty();
        assertThat(processesWith(marker)).hasSize(2);
        assertThat(Files.readString(logFile)).isEqualTo("ready\nwarn\n");
        assertThat(ProcessHandle.of(bg.pid())).isPresent();

        bg.stop();

        assertThat(bg.isAlive()).isFalse();
        assertThat(bg.exitCode()).isPresent();
        assertNoProcessWith(marker);
        bg.stop(); // again: nothing to do
        bg.close();
    }

    @Test
    void stopKillsAProcessThatIgnoresSigterm(@TempDir Path dir) throws Exception {
        String marker = marker();
        BackgroundProcess bg = runner.start(Command.of("sh", "-c", "trap '' TERM; echo trapped; while :; do sleep " + marker + "; done"),
                dir.resolve("log"));
        awaitProcessWith(marker, 1);
        long started = System.nanoTime();

        bg.stop(Duration.ofMillis(300));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(bg.isAlive()).isFalse();
        assertNoProcessWith(marker);
    }

    @Test
    void aBackgroundProcessThatExitsByItselfReportsItsStatus(@TempDir Path dir) throws Exception {
        BackgroundProcess bg = runner.start(Command.of("sh", "-c", "echo bye; exit 7"), dir.resolve("log"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (bg.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        assertThat(bg.exitCode()).hasValue(7);
        assertThat(Files.readString(dir.resolve("log"))).isEqualTo("bye\n");
        bg.stop();
    }

    @Test
    void aMissingProgramCannotStartInTheBackground(@TempDir Path dir) {
        assertThatThrownBy(() -> runner.start(Command.of("banger-no-such-program-" + marker()), dir.resolve("log")))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageStartingWith("cannot run `banger-no-such-program-");
    }

    // ---- helpers ----

    /** A sleep duration no other process on the machine uses: it identifies our processes in /proc. */
    private static String marker() {
        return "3" + ThreadLocalRandom.current().nextInt(10, 99) + "." + ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_999_999_999L);
    }

    private static List<Long> processesWith(String marker) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        try {
                            String cmdline = Files.readString(p.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                            return List.of(cmdline.split("\0")).contains(marker);
                        } catch (IOException | RuntimeException e) {
                            return false; // exited meanwhile, or not ours to read
                        }
                    })
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitProcessWith(String marker, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (processesWith(marker).size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no process with " + marker + " started");
            }
            Thread.sleep(10);
        }
    }

    /** Killed processes vanish asynchronously; give them a moment. */
    private static void assertNoProcessWith(String marker) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<Long> left = processesWith(marker);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            left = processesWith(marker);
        }
        List<Long> survivors = left;
        survivors.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        assertThat(survivors).as("processes still running with marker " + marker).isEmpty();
    }
}
