package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** banger doctor: from the daemon when it answers, from bangerd doctor (real launchers, as banger-test) when it does not. */
class DoctorCliTest {

    @Test
    void withTheDaemonUpTheHostRowsComeFromItAndNoFailMeansExitZero(@TempDir Path dir) throws Exception {
        try (RunningDaemon d = RunningDaemon.start(dir)) {
            CliRun r = d.cli("--json", "doctor");
            Map<?, ?> out = (Map<?, ?>) Json.parse(r.out());
            assertThat(out.get("source")).isEqualTo("daemon");
            List<?> checks = (List<?>) out.get("checks");
            List<String> names = checks.stream().map(c -> String.valueOf(((Map<?, ?>) c).get("name"))).toList();
            assertThat(names).startsWith("daemon", "banger version", "group banger", "ssh-config")
                    .contains("hypervisor qemu", "acceleration", "state store", "dns listener", "/root work disk", "system install");
            Map<?, ?> first = (Map<?, ?>) checks.getFirst();
            assertThat(first.keySet().stream().map(String::valueOf).toList()).containsExactly("name", "status", "details", "fix");
            assertThat(first.get("status")).isEqualTo("PASS");
            boolean anyFail = checks.stream().anyMatch(c -> "FAIL".equals(((Map<?, ?>) c).get("status")));
            assertThat(r.exit()).as(r.out()).isEqualTo(anyFail ? 1 : 0);
            assertThat(out.get("ok")).isEqualTo(!anyFail);

            CliRun human = d.cli("doctor");
            assertThat(human.out()).contains("PASS  daemon\n      - bangerd ").contains("host checks ran in bangerd (as ")
                    .doesNotContain("\u001b["); // no colour off a TTY
        }
    }

    @Test
    void withTheDaemonDownAGroupMemberGetsTheHostRowsFromItsOwnProcessAndExitOne() throws Exception {
        Launchers.assumeBuilt();
        assumeTrue(Launchers.runningAsRoot() && Launchers.userExists("banger-test"), "needs root and the banger-test user");
        Path dir = Launchers.openDirectory("doctor-cli");
        try {
            Path config = Files.writeString(dir.resolve("bangerd.toml"), "state_dir = \"" + dir.resolve("state") + "\"\n"
                    + "runtime_dir = \"" + dir.resolve("run") + "\"\nqemu_bin = \"" + dir.resolve("no-qemu") + "\"\n");
            Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            CommandResult r = Launchers.banger("banger-test", "--socket", dir.resolve("run/bangerd.sock").toString(),
                    "doctor", "--config", config.toString());
            assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(1);
            assertThat(r.stdout()).contains("FAIL  daemon").contains("the host rows below ran in this process, as banger-test")
                    .contains("PASS  group banger\n      - banger-test is a member")
                    .contains("FAIL  hypervisor qemu\n      - qemu_bin = \"" + dir.resolve("no-qemu") + "\": no executable file there")
                    .contains("fix: or set qemu_bin in bangerd's config")
                    .contains("host checks ran in this process (as banger-test; bangerd is down)");
            assertThat(dir.resolve("state")).doesNotExist(); // read-only: not even the state dir was made

            CommandResult json = Launchers.banger("banger-test", "--socket", dir.resolve("run/bangerd.sock").toString(),
                    "--json", "doctor", "--config", config.toString());
            Map<?, ?> out = (Map<?, ?>) Json.parse(json.stdout());
            assertThat(out.get("source")).isEqualTo("local");
            assertThat(out.get("ran_as")).isEqualTo("banger-test");
            assertThat(out.get("ok")).isEqualTo(false);
        } finally {
            Launchers.deleteTree(dir);
        }
    }

    @Test
    void systemInstallIntoAScratchRootThroughTheLaunchers() throws Exception {
        Launchers.assumeBuilt();
        assumeTrue(Launchers.runningAsRoot(), "system install runs as root");
        Path root = Launchers.openDirectory("system-cli");
        try {
            Files.createDirectories(root.resolve("etc"));
            Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1500::/home/alice:/bin/sh\n");
            Files.writeString(root.resolve("etc/group"), "root:x:0:\nalice:x:1500:\n");
            CommandResult in = Launchers.banger(null, "system", "install", "--owner", "alice", "--root", root.toString());
            assertThat(in.exitCode()).as(in.stdout() + in.stderr()).isZero();
            assertThat(root.resolve("usr/local/lib/banger/bin/bangerd")).isExecutable();
            assertThat(root.resolve("usr/local/lib/banger/lib/daemon")).isDirectory();
            assertThat(root.resolve("etc/banger/install.toml")).content().contains("owner = 'alice'");
            for (String user : new String[] {null, "banger-test"}) {
                CommandResult man = Launchers.run(user, Map.of("MANWIDTH", "120", "MANPATH", root.resolve("usr/local/share/man").toString()),
                        "man", "banger-vm-create");
                assertThat(man.exitCode()).as(user + ": " + man.stderr()).isZero();
                assertThat(man.stdout()).contains("banger-vm-create - Create", "--disk-size", "SEE ALSO");
            }

            CommandResult st = Launchers.banger(null, "system", "status", "--root", root.toString());
            assertThat(st.exitCode()).isEqualTo(1);
            assertThat(st.stdout()).contains("PID 1 is not systemd").contains("banger daemon start");
            CommandResult stJson = Launchers.banger(null, "system", "status", "--json", "--root", root.toString());
            assertThat(stJson.exitCode()).isEqualTo(1);
            assertThat(Json.parse(stJson.stdout())).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("installed", true)
                    .containsEntry("owner", "alice").containsEntry("daemon_answers", false).containsEntry("ok", false);
            CommandResult restartJson = Launchers.banger(null, "system", "restart", "--json", "--root", root.toString());
            assertThat(restartJson.exitCode()).as("--json where nothing is printed to parse").isEqualTo(2);
            assertThat(restartJson.stderr()).contains("--json", "prints nothing to parse");

            CommandResult out = Launchers.banger(null, "system", "uninstall", "--purge", "--root", root.toString());
            assertThat(out.exitCode()).as(out.stdout() + out.stderr()).isZero();
            assertThat(root.resolve("usr")).as("binaries, links and man pages gone").doesNotExist();
            assertThat(root.resolve("etc/banger")).doesNotExist();
        } finally {
            Launchers.deleteTree(root);
        }
    }
}
