package dev.banger.cli.exec;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The only place in the CLI that starts processes (ArchitectureTest enforces it): a background
 * bangerd for {@code banger daemon start}, the system {@code ssh} for {@code vm ssh}/{@code vm run},
 * {@code tar} for a directory the CLI uploads, and docker credential helpers for {@code image pull}
 * (as the invoking user, who runs the CLI).
 * The daemon's own tools go through its CommandRunner.
 */
public final class ProcessLauncher {

    private ProcessLauncher() {
    }

    /** Starts {@code argv} detached from our stdin, appending its output to {@code logFile}; returns its pid. */
    public static long startDetached(List<String> argv, Path logFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        return pb.start().pid();
    }

    /** What a captured run printed on stdout, and how it exited (stderr passes through to ours). */
    public record Captured(int exitCode, String stdout) {
    }

    /** Runs {@code argv} to completion, capturing its stdout; killed after {@code timeout}. */
    public static Captured runCapturing(List<String> argv, java.time.Duration timeout) throws IOException {
        return runCapturing(argv, null, timeout);
    }

    /**
     * The same with {@code stdin} written to its standard input (then closed), or /dev/null when
     * null: e.g. the registry host a {@code docker-credential-*} helper reads.
     */
    public static Captured runCapturing(List<String> argv, byte[] stdin, java.time.Duration timeout) throws IOException {
        Process p = new ProcessBuilder(argv)
                .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            } catch (IOException e) {
                // it exited without reading: its exit status tells
            }
        }
        var out = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                out.complete(new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(argv.getFirst() + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Captured(p.exitValue(), out.get());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.getFirst(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot read the output of " + argv.getFirst() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Runs {@code argv} on our own terminal (stdin, stdout, stderr) and returns its exit status. */
    public static int runInteractive(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).inheritIO().start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /**
     * Starts {@code argv} and returns its stdout (stderr passes through to ours). The stream's end
     * waits for the exit: a non-zero status is an IOException there, so a failed run is never
     * taken for complete output.
     */
    public static java.io.InputStream readOutput(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        return new java.io.FilterInputStream(p.getInputStream()) {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    exited();
                }
                return n;
            }

            private void exited() throws IOException {
                try {
                    int status = p.waitFor();
                    if (status != 0) {
                        throw new IOException(argv.getFirst() + " exited with status " + status);
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while running " + argv.getFirst(), e);
                }
            }

            @Override
            public void close() throws IOException {
                super.close();
                p.destroy(); // closed early: the reader gave up
            }
        };
    }

    /** What a run printed (stdout as bytes: git's -z lists and packs are not text) and how it exited. */
    public record Output(int exitCode, byte[] stdout, String stderr) {
    }

    /**
     * Runs {@code argv} in {@code dir} with {@code env} added to ours, {@code input} on its stdin,
     * capturing stdout and stderr; killed after {@code timeout}.
     */
    public static Output run(List<String> argv, Path dir, java.util.Map<String, String> env, byte[] input,
                             java.time.Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                in.write(input);
            } catch (IOException ignored) {
                // It exited without reading all of it: its status says why.
            }
        });
        var out = new java.util.concurrent.CompletableFuture<byte[]>();
        var err = new java.util.concurrent.CompletableFuture<byte[]>();
        Thread.ofVirtual().start(() -> readAll(p.getInputStream(), out));
        Thread.ofVirtual().start(() -> readAll(p.getErrorStream(), err));
        try {
            if (!p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(argv.getFirst() + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Output(p.exitValue(), out.get(), new String(err.get(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.getFirst(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("cannot read the output of " + argv.getFirst() + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Starts {@code argv} in {@code dir} with pipes on stdin and stdout (stderr passes through), for a streaming exchange. */
    public static Process startPiped(List<String> argv, Path dir) throws IOException {
        return new ProcessBuilder(argv).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /**
     * Runs {@code producer | consumer} with our stdin going to the producer and the consumer's
     * output to ours (stderr of both too); returns both exit statuses.
     */
    public static int[] runPipeline(List<String> producer, List<String> consumer) throws IOException {
        List<Process> ps = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder(producer).redirectInput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT),
                new ProcessBuilder(consumer).redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)));
        try {
            return new int[] {ps.get(0).waitFor(), ps.get(1).waitFor()};
        } catch (InterruptedException e) {
            ps.forEach(Process::destroy);
            Thread.currentThread().interrupt();
            return new int[] {130, 130};
        }
    }

    private static void readAll(java.io.InputStream in, java.util.concurrent.CompletableFuture<byte[]> into) {
        try (in) {
            into.complete(in.readAllBytes());
        } catch (IOException e) {
            into.completeExceptionally(e);
        }
    }
}
