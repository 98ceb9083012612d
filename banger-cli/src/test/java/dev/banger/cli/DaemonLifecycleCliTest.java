package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** `banger daemon start|status|stop` with the real launchers and a real background bangerd. */
class DaemonLifecycleCliTest {

    Path dir;
    Path config;
    Path socket;

    @BeforeEach
    void setUp() throws Exception {
        Launchers.assumeBuilt();
        dir = Launchers.openDirectory("banger-life");
        socket = dir.resolve("run/bangerd.sock");
        config = dir.resolve("bangerd.toml");
        Files.writeString(config, """
                state_dir = "%1$s/state"
                cache_dir = "%1$s/cache"
                runtime_dir = "%1$s/run"
                """.formatted(dir));
    }

    @AfterEach
    void tearDown() {
        if (dir != null) {
            Launchers.banger(null, "--socket", socket.toString(), "daemon", "stop");
            Launchers.deleteTree(dir);
        }
    }

    @Test
    void startStatusStop() throws Exception {
        CommandResult start = Launchers.banger(null, "daemon", "start", "--config", config.toString());
        assertThat(start.exitCode()).as(start.stderr()).isZero();
        assertThat(start.stdout()).startsWith("bangerd started (pid ").contains(socket.toString());
        long pid = Long.parseLong(Files.readString(dir.resolve("run/bangerd.pid")).strip());
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
        assertThat(Files.readString(dir.resolve("state/bangerd.log"))).contains("ready");

        CommandResult again = Launchers.banger(null, "daemon", "start", "--config", config.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.stdout()).startsWith("bangerd is already running (pid " + pid);

        CommandResult status = Launchers.banger(null, "--socket", socket.toString(), "daemon", "status");
        assertThat(status.exitCode()).isZero();
        assertThat(status.stdout()).contains("is running").contains("pid     " + pid);

        CommandResult stop = Launchers.banger(null, "--socket", socket.toString(), "daemon", "stop");
        assertThat(stop.exitCode()).as(stop.stderr()).isZero();
        assertThat(stop.stdout()).contains("bangerd stopped");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(socket).doesNotExist();
        assertThat(dir.resolve("run/bangerd.pid")).doesNotExist();

        CommandResult down = Launchers.banger(null, "--socket", socket.toString(), "daemon", "status");
        assertThat(down.exitCode()).isEqualTo(RootCommand.EXIT_UNREACHABLE);
        assertThat(down.stderr()).contains("bangerd is not running").contains("banger daemon start");
    }

    @Test
    void badConfigIsRejectedNamingTheKey() throws Exception {
        Files.writeString(config, "stat_dir = \"/tmp/x\"\n");
        CommandResult r = Launchers.banger(null, "daemon", "start", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(r.stderr()).contains("unknown key 'stat_dir'");
    }

    @Test
    void daemonThatCannotStartShowsWhy() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state/banger.db"), "this is not a database, it is a text file ".repeat(100));
        CommandResult r = Launchers.banger(null, "daemon", "start", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(r.stderr()).contains("bangerd exited during start-up").contains("not a valid SQLite database");
    }
}
