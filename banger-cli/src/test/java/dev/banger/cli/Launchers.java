package dev.banger.cli;

import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** The launchers scripts/build.sh leaves in build/bin, run as real processes (scripts/test.sh builds them first). */
final class Launchers {

    static final Path BUILD = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("build");
    static final Path BANGER = BUILD.resolve("bin/banger");
    static final Path BANGERD = BUILD.resolve("bin/bangerd");
    private static final CommandRunner RUNNER = new CommandRunner();
    /** Long enough for a command that boots a VM under TCG on a busy machine. */
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

    private Launchers() {
    }

    static void assumeBuilt() {
        Assumptions.assumeTrue(Files.isExecutable(BANGER) && Files.isExecutable(BANGERD),
                "build/bin launchers missing: run scripts/build.sh (scripts/test.sh does)");
    }

    static boolean runningAsRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    static boolean userExists(String name) {
        return RUNNER.runAllowingFailure(Command.of("id", "-u", name)).ok();
    }

    /** Runs build/bin/banger, optionally as another user through setpriv. */
    static CommandResult banger(String asUser, String... args) {
        return banger(asUser, java.util.Map.of(), args);
    }

    /** The same with extra environment, e.g. a HOME of the test's own. */
    static CommandResult banger(String asUser, java.util.Map<String, String> env, String... args) {
        return run(asUser, env, BANGER.toString(), args);
    }

    /** Any program, as {@code asUser} when not null, with extra environment. */
    static CommandResult run(String asUser, java.util.Map<String, String> env, String program, String... args) {
        return RUNNER.runAllowingFailure(new Command(argv(asUser, program, args), COMMAND_TIMEOUT, null, env, null));
    }

    /**
     * One raw JSON-RPC line sent to {@code socket} by {@code asUser} (through socat), without the
     * CLI: what a member could send by hand. The daemon's answer line, parsed.
     */
    static java.util.Map<?, ?> rawRequest(String asUser, Path socket, String json) throws IOException {
        CommandResult r = RUNNER.runAllowingFailure(new Command(argv(asUser, "socat", "-t", "30", "-",
                "UNIX-CONNECT:" + socket), COMMAND_TIMEOUT, null, java.util.Map.of(),
                (json + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        String line = r.stdout().lines().reduce((a, b) -> b).orElseThrow(() -> new IOException("no answer: " + r.stderr()));
        return (java.util.Map<?, ?>) dev.banger.core.rpc.Json.parse(line);
    }

    /**
     * Starts build/bin/banger as {@code asUser} in a process group of its own, as a shell runs a
     * foreground job: {@link #interrupt} then reaches it and its children as Ctrl-C would.
     */
    static BackgroundProcess startBanger(String asUser, Path log, String... args) {
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(argv(asUser, BANGER.toString(), args));
        return RUNNER.start(Command.of(argv.toArray(String[]::new)), log);
    }

    /** SIGINT to the process group {@link #startBanger} made: what the terminal sends on Ctrl-C. */
    static void interrupt(BackgroundProcess p) {
        RUNNER.run("kill", "-INT", "--", "-" + p.pid());
    }

    private static List<String> argv(String asUser, String program, String... args) {
        List<String> argv = new ArrayList<>();
        if (asUser != null) {
            argv.addAll(List.of("setpriv", "--reuid=" + asUser, "--regid=" + primaryGroup(asUser), "--init-groups", "--"));
        }
        argv.add(program);
        argv.addAll(List.of(args));
        return argv;
    }

    private static String primaryGroup(String user) {
        return RUNNER.run(Command.of("id", "-gn", user)).stdout().strip();
    }

    /** A directory other users can traverse (JUnit's @TempDir is 0700). */
    static Path openDirectory(String prefix) throws IOException {
        Path d = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    static void deleteTree(Path dir) {
        RUNNER.runAllowingFailure(Command.of("rm", "-rf", "--one-file-system", dir.toString()));
    }
}
