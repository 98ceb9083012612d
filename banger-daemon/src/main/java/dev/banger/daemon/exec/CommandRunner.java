package dev.banger.daemon.exec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only place in bangerd that starts processes (ArchitectureTest enforces it). Commands are
 * argv lists, each with a timeout; output is captured; a failure names the command, its exit
 * status and the tail of its stderr. Interrupting the calling thread kills the process, which is
 * how a cancelled RPC stops the tools it started. Long-running processes (servers, VMMs) go
 * through {@link #start}, which returns a {@link BackgroundProcess} handle to stop them with.
 */
public class CommandRunner {

    private static final Logger log = LoggerFactory.getLogger(CommandRunner.class);
    /** Keeps a runaway tool from filling the daemon's heap. */
    private static final int MAX_CAPTURE_BYTES = 8 << 20;

    /** Runs the command and throws {@link CommandFailedException} unless it exits 0. */
    public CommandResult run(Command command) {
        CommandResult r = runAllowingFailure(command);
        if (!r.ok()) {
            throw CommandFailedException.exited(r);
        }
        return r;
    }

    public CommandResult run(String... argv) {
        return run(Command.of(argv));
    }

    /** Runs the command and returns its result whatever the exit status. */
    public CommandResult runAllowingFailure(Command command) {
        return runAllowingFailure(command, null);
    }

    /**
     * As {@link #runAllowingFailure(Command)}, also handing each line of the command's stdout to
     * {@code stdoutLines} as it comes (on a reader thread), for tools whose output is their progress.
     */
    public CommandResult runAllowingFailure(Command command, java.util.function.Consumer<String> stdoutLines) {
        long started = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command.argv());
        if (command.stdin() == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = start(command, pb);
        log.debug("started pid {}: {}", p.pid(), command.display());
        Capture out = new Capture(p.getInputStream(), stdoutLines);
        Capture err = new Capture(p.getErrorStream(), null);
        if (command.stdin() != null) {
            // On its own thread: a tool that never reads a large input must not block the timeout.
            Thread.ofVirtual().name("stdin-" + p.pid()).start(() -> feed(p, command.stdin()));
        }
        try {
            if (!p.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw CommandFailedException.timedOut(command, err.text());
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw CommandFailedException.interrupted(command);
        }
        CommandResult result = new CommandResult(command, p.exitValue(), out.text(), err.text(),
                Duration.ofNanos(System.nanoTime() - started));
        log.debug("exit {} in {} ms: {}", result.exitCode(), result.elapsed().toMillis(), command.display());
        return result;
    }

    /**
     * Runs the command with {@code stdin} streamed into it (closed at its end, or when reading it
     * fails) and its stdout copied into {@code stdout} as it comes, for data too large to hold (a
     * repository's tar on its way to a guest, a patch on its way back). Returns the exit status and
     * stderr (stdout is empty in the result). Timeout and interrupt as {@link #run}.
     */
    public CommandResult stream(Command command, java.io.InputStream stdin, java.io.OutputStream stdout) {
        long started = System.nanoTime();
        Process p = start(command, new ProcessBuilder(command.argv()));
        log.debug("started pid {}: {}", p.pid(), command.display());
        Capture err = new Capture(p.getErrorStream(), null);
        Thread.ofVirtual().name("stdin-" + p.pid()).start(() -> {
            try (java.io.OutputStream in = p.getOutputStream()) {
                stdin.transferTo(in);
            } catch (IOException e) {
                // The source failed (its caller knows) or the process stopped reading (its status says why).
            }
        });
        Thread copier = Thread.ofVirtual().name("stdout-" + p.pid()).start(() -> {
            try (java.io.InputStream out = p.getInputStream()) {
                out.transferTo(stdout);
            } catch (IOException e) {
                p.destroyForcibly(); // nobody takes its output any more: it would block on a full pipe
            }
        });
        try {
            if (!p.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw CommandFailedException.timedOut(command, err.text());
            }
            copier.join();
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw CommandFailedException.interrupted(command);
        }
        CommandResult result = new CommandResult(command, p.exitValue(), "", err.text(), Duration.ofNanos(System.nanoTime() - started));
        log.debug("exit {} in {} ms: {}", result.exitCode(), result.elapsed().toMillis(), command.display());
        return result;
    }

    /**
     * Starts a long-running process (a server, a VMM) and returns without waiting for it. Its
     * stdout and stderr go, interleaved, to {@code logFile} (created or truncated); stdin is
     * /dev/null. The command's timeout does not apply: the process runs until
     * {@link BackgroundProcess#stop}. Throws {@link CommandFailedException} when it cannot start.
     */
    public BackgroundProcess start(Command command, Path logFile) {
        return startBackground(command, ProcessBuilder.Redirect.to(logFile.toFile()), logFile);
    }

    /**
     * Like {@link #start}, for a process that must outlive the daemon (a VMM that does not
     * daemonize itself): it runs in a session of its own ({@code setsid}, which execs, so the pid
     * is the program's), where no signal meant for the daemon's terminal or process group reaches
     * it, and its output is appended to {@code logFile}, keeping what earlier runs wrote there.
     */
    public BackgroundProcess startDetached(Command command, Path logFile) {
        Path setsid = HostPrograms.locate("setsid").orElseThrow(() -> CommandFailedException.cannotStart(command,
                new IOException("setsid (package util-linux) is not installed")));
        List<String> argv = new ArrayList<>(command.argv());
        argv.addFirst(setsid.toString());
        return startBackground(new Command(argv, command.timeout(), command.workDir(), command.env(), null),
                ProcessBuilder.Redirect.appendTo(logFile.toFile()), logFile);
    }

    private BackgroundProcess startBackground(Command command, ProcessBuilder.Redirect output, Path logFile) {
        if (command.stdin() != null) {
            throw new IllegalArgumentException("a background process reads no stdin: " + command.display());
        }
        ProcessBuilder pb = new ProcessBuilder(command.argv())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(output)
                .redirectErrorStream(true);
        Process p = start(command, pb);
        log.debug("started background pid {} (output in {}): {}", p.pid(), logFile, command.display());
        return new BackgroundProcess(command, p);
    }

    /** Starts {@code pb} in the command's working directory with its environment added. */
    private static Process start(Command command, ProcessBuilder pb) {
        if (command.workDir() != null) {
            pb.directory(command.workDir().toFile());
        }
        pb.environment().putAll(command.env());
        try {
            return pb.start();
        } catch (IOException e) {
            throw CommandFailedException.cannotStart(command, e);
        }
    }

    private static void feed(Process p, byte[] input) {
        try (OutputStream in = p.getOutputStream()) {
            in.write(input);
        } catch (IOException e) {
            // The tool closed stdin early or was killed; its exit status tells the story.
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drains one output stream on a virtual thread so a chatty tool never blocks on a full pipe; lines to {@code lines} if given. */
    private static final class Capture {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final java.util.function.Consumer<String> lines;
        private final Thread thread;

        Capture(InputStream in, java.util.function.Consumer<String> lines) {
            this.lines = lines;
            thread = Thread.ofVirtual().start(() -> drain(in));
        }

        private void drain(InputStream in) {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) > 0) {
                    synchronized (buf) {
                        if (buf.size() < MAX_CAPTURE_BYTES) {
                            buf.write(chunk, 0, Math.min(n, MAX_CAPTURE_BYTES - buf.size()));
                        }
                    }
                    if (lines != null) {
                        split(chunk, n);
                    }
                }
            } catch (IOException e) {
                // Stream closed because the process was killed: keep what we have.
            }
            if (lines != null && line.size() > 0) {
                lines.accept(line.toString(StandardCharsets.UTF_8));
            }
        }

        private void split(byte[] chunk, int n) {
            for (int i = 0; i < n; i++) {
                if (chunk[i] == '\n') {
                    lines.accept(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else if (line.size() < 4096) {
                    line.write(chunk[i]);
                }
            }
        }

        String text() {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
