package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.CommandResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Warm start through the CLI, as banger-test: {@code vm run PATH} boots the first time and builds
 * the image's template in the background; the next {@code vm run PATH} starts from that template
 * ({@code vm show} says so), and the repository is shipped into the warm clone as into a booted
 * VM; {@code vm run --cold} boots.
 */
class WarmWorkspaceCliTest {

    static GuestFixture guests;
    static RunningDaemon d;
    static Path repo;

    @BeforeAll
    static void start() throws Exception {
        guests = GuestFixture.start("banger-warm", true, "bbgit");
        d = guests.d;
        repo = guests.userRepo("repo", "git init -q -b main", "git config user.name Ada", "git config user.email ada@example.org",
                "printf 'warm\\n' > a.txt", "git add -A", "git commit -q -m first", "printf 'edited\\n' > a.txt");
    }

    @AfterAll
    static void stop() {
        if (guests != null) {
            guests.close();
        }
    }

    @Test
    void aWorkspaceShipsIntoAWarmCloneAsIntoABootedVm() throws Exception {
        CommandResult first = banger("vm", "run", "--rm", repo.toString(), "--", "cat", "a.txt");
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stdout()).isEqualTo("edited\n");
        awaitTemplate();

        CommandResult warm = banger("vm", "run", "-d", "--name", "warm", repo.toString());
        assertThat(warm.exitCode()).as(warm.stderr()).isZero();
        Map<?, ?> shown = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "show", "warm").out());
        assertThat(shown.get("template_id")).as("vm run started it from the template").isNotNull();
        assertThat(d.cli("vm", "show", "warm").out()).contains("started from template " + shown.get("template_id"));
        CommandResult there = banger("vm", "exec", "warm", "--", "sh", "-c", "cat a.txt; pwd; hostname; git status --porcelain");
        assertThat(there.exitCode()).as(there.stderr()).isZero();
        assertThat(there.stdout()).as("the shipped tree, in the clone with its own name").isEqualTo("edited\n/root/repo\nwarm\n M a.txt\n");

        CommandResult cold = banger("vm", "run", "--rm", "--cold", repo.toString(), "--", "cat", "a.txt");
        assertThat(cold.exitCode()).as(cold.stderr()).isZero();
        assertThat(cold.stdout()).isEqualTo("edited\n");
    }

    /** The template of the first run's image, once its build is over. */
    private static void awaitTemplate() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            Map<?, ?> snaps = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "snapshot", "list", "--templates").out());
            Map<?, ?> vms = (Map<?, ?>) Json.parse(d.cli("--json", "vm", "list", "--templates").out());
            if (!((List<?>) snaps.get("snapshots")).isEmpty() && ((List<?>) vms.get("vms")).isEmpty()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no template within 3 minutes");
    }

    private static CommandResult banger(String... args) {
        return guests.banger(args);
    }
}
