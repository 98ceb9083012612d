package dev.banger.cli;

import dev.banger.cli.commands.RootCommand;
import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.config.Config;
import dev.banger.core.rpc.Json;
import dev.banger.daemon.exec.BackgroundProcess;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.image.testing.LogCapture;
import dev.banger.daemon.image.testing.TestKernelDeb;
import dev.banger.daemon.vm.boot.HandlesFile;
import dev.banger.daemon.vm.boot.StepRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `banger vm ...` as a user sees it: the built launcher run as banger-test (a member of group
 * banger, not root) against a real daemon whose VMs are real QEMU guests (busybox + dropbear from
 * a real registry, Debian's cloud kernel) on a bridge inside the test JVM's network namespace.
 */
class VmCliTest {

    private static final String USER = GuestFixture.USER;

    static GuestFixture guests;
    static Path dir;
    static RunningDaemon d;
    static String kernelVersion;

    @BeforeAll
    static void start() throws Exception {
        guests = GuestFixture.start("banger-vm", false, "bb");
        dir = guests.dir;
        d = guests.d;
        String file = TestKernelDeb.require().getFileName().toString();
        kernelVersion = file.substring("linux-image-".length(), file.indexOf('_'));
    }

    @AfterAll
    static void stop() {
        if (guests != null) {
            guests.close();
        }
    }

    @AfterEach
    void noVmLeftBehind() {
        assertThat(vmNames()).as("VMs a test did not delete").isEmpty();
    }

    @Test
    void aGroupMemberRunsSshesListsStopsAndDeletesVms() throws Exception {
        Map<String, Long> dotSsh = dotSshOf(USER);

        CommandResult run = banger("vm", "run", "--name", "r1", "--rm", "--", "sh", "-c", "uname -r; hostname; exit 7");
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(7);
        assertThat(run.stdout()).isEqualTo(kernelVersion + "\nr1\n");
        assertThat(vmNames()).as("--rm deleted the VM").isEmpty();

        CommandResult create = banger("vm", "create", "--name", "c1");
        assertThat(create.exitCode()).as(create.stderr()).isZero();
        assertThat(create.stdout()).contains("name       c1  (c1.vm)", "state      running");

        CommandResult ssh = banger("vm", "ssh", "c1", "--", "cat", "/etc/hostname");
        assertThat(ssh.exitCode()).as(ssh.stderr()).isZero();
        assertThat(ssh.stdout()).isEqualTo("c1\n");
        assertThat(ssh.stderr()).as("no host-key prompt or warning").doesNotContain("authenticity", "Warning", "known hosts");
        assertThat(dotSshOf(USER)).as("nothing written to ~/.ssh").isEqualTo(dotSsh);

        String ip = (String) json("vm", "show", "c1").get("guest_ip");
        assertThat(ip).startsWith("172.16.0.");
        for (String[] list : List.of(new String[] {"ps"}, new String[] {"vm", "list"})) {
            CommandResult r = banger(list);
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).startsWith("NAME").containsPattern("(?m)^c1 +\\S+ +running +bb +" + ip.replace(".", "\\.") + " ");
        }

        CommandResult show = banger("vm", "show", "c1");
        assertThat(show.stdout()).contains("state      running", "address    " + ip, "image      bb")
                .containsPattern("hypervisor qemu \\((tcg|kvm)\\), pid \\d+");

        CommandResult logs = banger("vm", "logs", "c1", "-n", "5");
        assertThat(logs.exitCode()).as(logs.stderr()).isZero();
        assertThat(logs.stdout().lines().toList()).hasSize(5);

        CommandResult unforced = banger("vm", "delete", "c1");
        assertThat(unforced.exitCode()).as("a running VM is deleted only with --force").isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(unforced.stderr()).contains("VM 'c1' is running", "-f/--force", "see 'banger vm delete --help'");
        assertThat(json("vm", "show", "c1").get("state")).as("the VM is untouched").isEqualTo("running");

        CommandResult stop = banger("vm", "stop", "c1", "c2-missing");
        assertThat(stop.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(stop.stderr()).contains("c2-missing", "not found");
        assertThat(stop.stdout()).contains("stopped c1");
        assertThat(banger("vm", "show", "c1").stdout()).contains("state      stopped");

        CommandResult delete = banger("vm", "delete", "c1");
        assertThat(delete.exitCode()).as(delete.stderr()).isZero();
        assertThat(delete.stdout()).startsWith("deleted c1");
    }

    @Test
    void aGroupMemberPausesResumesSnapshotsRestoresAndDeletesSnapshots() {
        CommandResult create = banger("vm", "create", "--name", "s1");
        assertThat(create.exitCode()).as(create.stderr()).isZero();

        CommandResult pause = banger("vm", "pause", "s1");
        assertThat(pause.exitCode()).as(pause.stderr()).isZero();
        assertThat(pause.stdout()).startsWith("paused s1 (paused)");
        assertThat(banger("vm", "list").stdout()).containsPattern("(?m)^s1 +\\S+ +paused ");
        assertThat(banger("ps").stdout()).as("ps lists a paused VM: its process runs").containsPattern("(?m)^s1 +\\S+ +paused ");
        CommandResult unforced = banger("vm", "delete", "s1");
        assertThat(unforced.exitCode()).as("a paused VM is deleted only with --force").isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(unforced.stderr()).contains("VM 's1' is paused", "-f/--force");
        CommandResult resume = banger("vm", "resume", "s1");
        assertThat(resume.stdout()).as(resume.stderr()).startsWith("resumed s1 (running)");

        assertThat(banger("vm", "ssh", "s1", "--", "sh", "-c", "echo one > /root/kept; sync").exitCode()).isZero();
        CommandResult snap = banger("vm", "snapshot", "create", "s1", "--name", "first");
        assertThat(snap.exitCode()).as(snap.stderr()).isZero();
        assertThat(snap.stdout()).containsPattern("^snapshot first of s1: paused \\d+ ms, \\S+ on disk \\(256M guest memory\\)");
        assertThat(banger("vm", "snapshot", "list", "s1").stdout()).startsWith("NAME").containsPattern("(?m)^first +\\S+ +s1 ");
        assertThat(banger("vm", "ssh", "s1", "--", "sh", "-c", "echo two > /root/later").exitCode()).isZero();

        CommandResult restore = banger("vm", "restore", "s1", "first");
        assertThat(restore.exitCode()).as(restore.stderr()).isZero();
        assertThat(restore.stdout()).startsWith("restored s1 from first (running)");
        CommandResult files = banger("vm", "ssh", "s1", "--", "sh", "-c", "cat /root/kept; ls /root/later 2>&1 || true");
        assertThat(files.stdout()).startsWith("one\n").contains("No such file");

        CommandResult missing = banger("vm", "restore", "s1", "nope");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("snapshot 'nope' not found");

        // Clones through the launcher: the group member's and root's, each itself, with the snapshot's files.
        CommandResult clone = banger("vm", "create", "--from-snapshot", "first", "--name", "k1");
        assertThat(clone.exitCode()).as(clone.stderr()).isZero();
        assertThat(clone.stdout()).contains("name       k1").contains("clone of   snapshot ");
        CommandResult asRoot = Launchers.banger(null, "--socket", d.socket.toString(), "vm", "create", "--from-snapshot", "first",
                "--name", "k2");
        assertThat(asRoot.exitCode()).as(asRoot.stderr()).isZero();
        for (String k : List.of("k1", "k2")) {
            CommandResult inside = banger("vm", "ssh", k, "--", "sh", "-c", "hostname; cat /root/kept");
            assertThat(inside.stdout()).as(inside.stderr()).isEqualTo(k + "\none\n");
        }
        CommandResult sized = banger("vm", "create", "--from-snapshot", "first", "--name", "k3", "--memory", "512");
        assertThat(sized.exitCode()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(sized.stderr()).contains("--memory does not go with --from-snapshot");
        CommandResult inUse = banger("vm", "snapshot", "delete", "first");
        assertThat(inUse.exitCode()).isNotZero();
        assertThat(inUse.stderr()).contains("k1, k2");
        assertThat(banger("vm", "delete", "-f", "k1", "k2").exitCode()).isZero();

        CommandResult delete = banger("vm", "snapshot", "delete", "first");
        assertThat(delete.stdout()).as(delete.stderr()).startsWith("deleted snapshot first");
        assertThat(json("vm", "snapshot", "list").get("snapshots")).asList().isEmpty();
        assertThat(banger("vm", "delete", "-f", "s1").exitCode()).isZero();
    }

    @Test
    void ctrlCDuringARunWithRmStillDeletesTheVm() throws Exception {
        Path log = dir.resolve("interrupted-run.log");
        try (BackgroundProcess run = Launchers.startBanger(USER, log, "--socket", d.socket.toString(),
                "vm", "run", "--name", "i1", "--rm", "--", "sleep", "600")) {
            awaitTrue(() -> ProcessHandle.of(run.pid()).stream().flatMap(ProcessHandle::descendants)
                    .anyMatch(p -> p.info().command().orElse("").endsWith("/ssh")), "ssh into i1 started");
            Thread.sleep(2000); // let ssh log in and the guest start sleeping

            Launchers.interrupt(run);
            awaitTrue(() -> run.exitCode().isPresent(), "banger exited on SIGINT");
            assertThat(vmNames()).as("--rm deleted the VM despite Ctrl-C; banger printed:%n%s", Files.readString(log)).isEmpty();
        }
    }

    @Test
    void ctrlCDuringACreateWhileTheGuestBootsLeavesNoVmNoTapNoQemu() throws Exception {
        Path log = dir.resolve("interrupted-create.log");
        try (LogCapture undo = LogCapture.of(StepRunner.class);
             BackgroundProcess create = Launchers.startBanger(USER, log, "--socket", d.socket.toString(), "vm", "create", "--name", "cx")) {
            awaitTrue(VmCliTest::launched, "the guest of cx booting");
            assertThat(qemuOfThisDaemon()).as("QEMU of cx").hasSize(1);
            Launchers.interrupt(create);
            awaitTrue(() -> create.exitCode().isPresent(), "banger exited on SIGINT");
            // the user never got cx: once its start is undone, its row goes too
            awaitTrue(() -> banger("vm", "show", "cx").exitCode() != 0, "cx to be gone");
            assertThat(qemuOfThisDaemon()).as("QEMU after the cancel").isEmpty();
            assertThat(Launchers.run(null, Map.of(), "ip", "-o", "link", "show").stdout()).as("links").doesNotContain("tap-fc-");
            assertThat(vmsDir().toFile().list()).as("VM dirs").isEmpty();
            assertThat(undo.messages()).as("undo problems in bangerd's log").isEmpty();
        }
    }

    private static Path vmsDir() {
        return dev.banger.core.Layout.of(Config.under(dir.resolve("banger"))).vmsDir();
    }

    /** True once a VM's handles.json records its QEMU: the guest is booting, the create waits for SSH. */
    private static boolean launched() {
        try (Stream<Path> vms = Files.list(vmsDir())) {
            return vms.anyMatch(v -> HandlesFile.read(v).map(h -> h.machine() != null).orElse(false));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // not made yet, or caught mid-rename
        }
    }

    /** QEMU processes of this daemon's VMs (not its acceleration probe's): their command lines name a VM dir. */
    private static List<ProcessHandle> qemuOfThisDaemon() {
        String vms = vmsDir().toString();
        return ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").contains("qemu"))
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(vms)).orElse(false)).toList();
    }

    @Test
    void contradictionsAndBadInputAreRefusedBeforeAnyVmExists() {
        record Refusal(List<String> args, String message) {
        }
        for (Refusal r : List.of(
                new Refusal(List.of("vm", "run", "--json", "--", "true"), "--json: `banger vm run` prints the guest's session"),
                new Refusal(List.of("vm", "run", "-d", "--rm"), "-d and --rm contradict each other"),
                new Refusal(List.of("vm", "run", "-d", "--", "true"), "-d takes no command"),
                new Refusal(List.of("vm", "run", "echo", "hi"), "put the command after --"),
                new Refusal(List.of("vm", "create", "--name", "Bad_Name"), "VM name 'Bad_Name' is not allowed"),
                new Refusal(List.of("vm", "create", "--disk-size", "huge"), "--disk-size 'huge' is not a size"),
                new Refusal(List.of("vm", "create", "--memory", "12Q"), "--memory '12Q' is not a size"),
                new Refusal(List.of("vm", "create", "--image", "no-such-image"), "image 'no-such-image' not found"),
                new Refusal(List.of("vm", "create", "-p", "80"), "port forward '80' is not [HOST_IP:]HOST_PORT:GUEST_PORT"),
                new Refusal(List.of("vm", "run", "-d", "-p", "8080:80/sctp"), "protocol sctp is neither tcp nor udp"))) {
            CliRun run = d.cli(r.args().toArray(String[]::new));
            assertThat(run.exit()).as(r.args() + ": " + run.err()).isEqualTo(RootCommand.EXIT_USAGE);
            assertThat(run.err()).as("one line and where to read more, not the whole help").doesNotContain("Usage:")
                    .containsOnlyOnce("banger: ");
            List<String> lines = run.err().lines().toList();
            assertThat(lines.get(lines.size() - 2)).startsWith("banger: ").contains(r.message());
            assertThat(lines.getLast()).isEqualTo("  see 'banger vm " + r.args().get(1) + " --help'");
            assertThat(vmNames()).as(r.args() + " created nothing").isEmpty();
        }
        assertThat(d.cli("vm", "list").out()).isEqualTo("NAME  ID  STATE  IMAGE  IP  VCPU  MEM  DISK  CREATED\n");
    }

    @Test
    void psListsRunningVmsAllWithAIdsWithQAndFormatsAndTimesForTheReader() throws IOException {
        assertThat(d.cli("vm", "create", "--name", "q1", "--no-start").exit()).isZero();
        String id = (String) json("vm", "show", "q1").get("id");

        CommandResult ps = banger("ps");
        assertThat(ps.exitCode()).as(ps.stderr()).isZero();
        assertThat(ps.stdout()).as("a VM that does not run is not in plain ps").isEqualTo("NAME  ID  STATE  IMAGE  IP  VCPU  MEM  DISK  CREATED\n");
        assertThat(banger("ps", "-a").stdout()).as("ISO-8601 when stdout is no terminal")
                .containsPattern("(?m)^q1 +" + id + " +created +bb .* \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\S+Z$");
        assertThat(d.cliOnTty("ps", "-a").out()).as("relative on a terminal").containsPattern("(?m)^q1 .* (\\d+ seconds?|less than a second) ago$");
        assertThat(banger("ps", "-aq").stdout()).isEqualTo(id + "\n");
        assertThat(banger("ps", "-q").stdout()).isEmpty();
        assertThat(banger("vm", "list", "-q").stdout()).as("vm list lists all").isEqualTo(id + "\n");
        assertThat(banger("ps", "-a", "--format", "{{.Name}}\\t{{ .State }} {{.Image}}").stdout()).isEqualTo("q1\tcreated bb\n");
        CommandResult lines = banger("ps", "-a", "--format", "json");
        assertThat(lines.stdout().lines().toList()).hasSize(1);
        assertThat((Map<?, ?>) Json.parse(lines.stdout())).extracting(m -> m.get("name"), m -> m.get("id")).containsExactly("q1", id);
        assertThat((List<?>) ((Map<?, ?>) Json.parse(banger("ps", "--json").stdout())).get("vms")).isEmpty();

        CommandResult bad = banger("ps", "--format", "{{.Nope}}");
        assertThat(bad.exitCode()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(bad.stderr()).contains("unknown field '.Nope'", ".Name, .ID, .State", "see 'banger ps --help'");
        assertThat(banger("ps", "-q", "--format", "json").exitCode()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(d.cli("vm", "delete", "q1").exit()).as("a VM that does not run needs no --force").isZero();
    }

    @Test
    void logsStripTheGuestsEscapesUnlessRawAndFollowStopsWhenTheVmIsDeleted() throws Exception {
        assertThat(d.cli("vm", "create", "--name", "l1", "--no-start").exit()).isZero();
        Path console = Path.of((String) json("vm", "logs", "l1").get("path"));
        Files.createDirectories(console.getParent());
        Files.writeString(console, "\u001b[1;32mOK\u001b[0m booted\n\u001b]0;owned\u0007plain\u001b[2J\n");
        assertThat(banger("vm", "logs", "l1").stdout()).isEqualTo("OK booted\nplain\n");
        assertThat(banger("vm", "logs", "l1", "--raw").stdout()).startsWith("\u001b[1;32mOK\u001b[0m booted\n");
        assertThat(banger("vm", "logs", "l1", "--since", "10m").stderr()).contains("--since needs a running VM");
        assertThat(banger("vm", "logs", "l1", "-f", "--json").exitCode()).isEqualTo(RootCommand.EXIT_USAGE);

        Path log = dir.resolve("follow.log");
        try (BackgroundProcess follow = Launchers.startBanger(USER, log, "--socket", d.socket.toString(), "vm", "logs", "-f", "l1")) {
            awaitTrue(() -> read(log).contains("plain"), "the console so far");
            Files.writeString(console, "later \u001b[31mred\u001b[0m\n", java.nio.file.StandardOpenOption.APPEND);
            awaitTrue(() -> read(log).contains("later red"), "a line the console printed while following");
            assertThat(d.cli("vm", "delete", "l1").exit()).isZero();
            awaitTrue(() -> follow.exitCode().isPresent(), "following ends when the VM is deleted");
            assertThat(follow.exitCode().getAsInt()).isZero();
        }
        assertThat(read(log)).isEqualTo("OK booted\nplain\nlater red\n  VM 'l1' was deleted\n");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void completionOffersVmImageAndKernelNamesFromTheDaemonInBashZshAndFish() {
        assertThat(d.cli("vm", "create", "--name", "k1", "--no-start").exit()).isZero();
        assertThat(d.cli("__complete", "--", "vm", "show", "").out()).isEqualTo("k1\n:none\n");
        assertThat(d.cli("__complete", "--", "vm", "create", "--image", "").out()).isEqualTo("bb\n:none\n");
        assertThat(d.cli("__complete", "--", "kernel", "show", "c").out()).isEqualTo("cloud\n:none\n");
        assertThat(CliRun.run(Map.of(), "__complete", "--", "--socket", d.socket.toString(), "vm", "start", "").out())
                .as("the daemon of the --socket being typed").isEqualTo("k1\n:none\n");

        Map<String, String> env = Map.of(RootCommand.SOCKET_ENV, d.socket.toString(), "HOME", dir.toString(),
                "PATH", Launchers.BANGER.getParent() + ":/usr/local/bin:/usr/bin:/bin");
        String bash = "source <(banger completion bash); COMP_WORDS=(banger vm start ''); COMP_CWORD=3; _banger; printf '%s\\n' \"${COMPREPLY[@]}\"";
        // compadd and _files work only inside a zsh completion widget: stand-ins print what would be offered.
        String zsh = "compdef() { :; }; _files() { print -r -- FILES }; compadd() { print -rl -- \"${(@P)${@[-1]}}\" }; "
                + "source <(banger completion zsh); words=(banger image show ''); CURRENT=4; _banger";
        for (String user : new String[] {null, USER}) {
            CommandResult b = Launchers.run(user, env, "bash", "-c", bash);
            assertThat(b.stdout()).as(user + " bash: " + b.stderr()).isEqualTo("k1\n");
            CommandResult z = Launchers.run(user, env, "zsh", "-fc", zsh);
            assertThat(z.stdout()).as(user + " zsh: " + z.stderr()).isEqualTo("bb\n");
            CommandResult f = Launchers.run(user, env, "fish", "-c", "banger completion fish | source; complete -C 'banger kernel delete '");
            assertThat(f.stdout()).as(user + " fish: " + f.stderr()).isEqualTo("cloud\n");
        }
        assertThat(d.cli("vm", "delete", "k1").exit()).isZero();
    }

    @Test
    void natIsChosenAtCreateShownAndSwitchedWithSet() {
        CliRun create = d.cli("vm", "create", "--name", "n1", "--nat", "--no-start");
        assertThat(create.exit()).as(create.err()).isZero();
        assertThat(create.out()).contains("nat        on");
        assertThat(json("vm", "show", "n1").get("nat")).isEqualTo(true);

        assertThat(d.cli("vm", "set", "n1", "--no-nat").out()).contains("nat        off");
        assertThat(d.cli("vm", "show", "n1").out()).contains("nat        off");
        assertThat(d.cli("vm", "set", "n1", "--nat").out()).contains("nat        on");
        assertThat(d.cli("vm", "delete", "-f", "n1").exit()).isZero();
    }

    @Test
    void isolationIsOnByDefaultOffWithNoIsolateAndSwitchedWithSet() {
        CliRun plain = d.cli("vm", "create", "--name", "i1", "--no-start");
        assertThat(plain.exit()).as(plain.err()).isZero();
        assertThat(plain.out()).contains("isolate    on");
        assertThat(json("vm", "show", "i1").get("isolate")).isEqualTo(true);

        CliRun open = d.cli("vm", "create", "--name", "i2", "--no-isolate", "--no-start");
        assertThat(open.exit()).as(open.err()).isZero();
        assertThat(open.out()).contains("isolate    off");
        assertThat(json("vm", "show", "i2").get("isolate")).isEqualTo(false);

        assertThat(d.cli("vm", "set", "i1", "--no-isolate").out()).contains("isolate    off");
        assertThat(d.cli("vm", "show", "i1").out()).contains("isolate    off");
        assertThat(d.cli("vm", "set", "i1", "--isolate").out()).contains("isolate    on");
        for (String name : List.of("i1", "i2")) {
            assertThat(d.cli("vm", "delete", "-f", name).exit()).isZero();
        }
    }

    @Test
    void severalVmsStartConcurrentlyAndReportInTheOrderGiven() {
        for (String name : List.of("a", "b")) {
            CliRun create = d.cli("vm", "create", "--name", name, "--no-start");
            assertThat(create.exit()).as(create.err()).isZero();
            assertThat(create.out()).contains("state      created");
        }

        CommandResult start = banger("vm", "start", "a", "b");
        assertThat(start.exitCode()).as(start.stderr()).isZero();
        assertThat(start.stdout()).isEqualTo("started a (running)\nstarted b (running)\n");
        List<Map<?, ?>> starts = operations("vm.start");
        assertThat(starts).hasSize(2);
        assertThat(instant(starts.get(0), "started_at")).as("the boots overlap")
                .isBefore(instant(starts.get(1), "finished_at"));
        assertThat(instant(starts.get(1), "started_at")).isBefore(instant(starts.get(0), "finished_at"));

        CommandResult delete = banger("vm", "delete", "-f", "b", "a");
        assertThat(delete.exitCode()).as(delete.stderr()).isZero();
        assertThat(delete.stdout()).isEqualTo("deleted b\ndeleted a\n");
    }

    @Test
    void plainSshNameDotVmWorksAfterSshConfigInstallAndUninstallRestoresTheConfig() throws Exception {
        Path home = Files.createTempDirectory(dir, "home-");
        Path config = Files.createDirectories(home.resolve(".ssh")).resolve("config");
        String original = "Host *\n    ServerAliveInterval 30\n";
        Files.writeString(config, original);
        Files.setPosixFilePermissions(home.resolve(".ssh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Launchers.run(null, Map.of(), "chown", "-R", USER, home.toString());
        Map<String, String> asUser = Map.of("HOME", home.toString());
        Map<String, Long> dotSsh = dotSshOf(USER);
        assertThat(banger("vm", "create", "--name", "s1").exitCode()).isZero();

        CommandResult install = Launchers.banger(USER, asUser, "--socket", d.socket.toString(), "ssh-config", "--install");
        assertThat(install.exitCode()).as(install.stderr()).isZero();
        // OpenSSH finds ~/.ssh/config through the password database, not $HOME: -F names the temp home's.
        CommandResult ssh = Launchers.run(USER, asUser, "ssh", "-F", config.toString(), "-o", "BatchMode=yes", "s1.vm", "hostname");

        assertThat(ssh.exitCode()).as(ssh.stderr()).isZero();
        assertThat(ssh.stdout()).isEqualTo("s1\n");
        assertThat(ssh.stderr()).as("no host-key prompt or warning").doesNotContain("authenticity", "Warning", "known hosts");
        assertThat(home.resolve(".ssh/known_hosts")).as("banger's known_hosts did the checking").doesNotExist();
        assertThat(dotSshOf(USER)).as("nothing written to the user's real ~/.ssh").isEqualTo(dotSsh);

        CommandResult uninstall = Launchers.banger(USER, asUser, "--socket", d.socket.toString(), "ssh-config", "--uninstall");
        assertThat(uninstall.exitCode()).as(uninstall.stderr()).isZero();
        assertThat(Files.readString(config)).isEqualTo(original);
        assertThat(banger("vm", "delete", "-f", "s1").exitCode()).isZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void vmPortsShowsEndpointsProcessesAndHttpLinks() throws Exception {
        int published;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            published = probe.getLocalPort();
        }
        CommandResult created = banger("vm", "create", "--name", "p1", "-p", published + ":8080");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        CommandResult web = banger("vm", "ssh", "p1", "--", "httpd", "-p", "8080", "-h", "/tmp");
        assertThat(web.exitCode()).as(web.stderr()).isZero();

        CommandResult ports = banger("vm", "ports", "p1");

        assertThat(ports.exitCode()).as(ports.stderr()).isZero();
        assertThat(ports.stdout()).containsPattern("^ENDPOINT +PROTO +PROCESS +URL\n")
                .containsPattern("(?m)^p1\\.vm:22 +tcp +dropbear +-$")
                .containsPattern("(?m)^p1\\.vm:8080 +tcp +httpd +http://p1\\.vm:8080/$");
        Map<?, ?> json = json("vm", "ports", "p1");
        assertThat(json.get("name")).isEqualTo("p1");
        assertThat((List<?>) json.get("ports")).anySatisfy(p -> assertThat((Map<String, Object>) p)
                .containsEntry("endpoint", "p1.vm:8080").containsEntry("proto", "tcp").containsEntry("process", "httpd")
                .containsEntry("url", "http://p1.vm:8080/"));

        CommandResult withMissing = banger("vm", "ports", "p1", "nope");
        assertThat(withMissing.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(withMissing.stderr()).contains("VM 'nope' not found");
        assertThat(withMissing.stdout()).contains("p1.vm:8080");

        String forward = "127.0.0.1:" + published + " -> p1.vm:8080/tcp";
        assertThat(ports.stdout()).contains("published " + forward);
        assertThat(banger("vm", "show", "p1").stdout()).contains("forward    " + forward);
        assertThat(json("vm", "show", "p1").get("forwards")).as("vm show --json").isEqualTo(List.of("127.0.0.1:" + published + ":8080/tcp"));
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", published)) {
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .as("the published port reaches the guest's httpd").startsWith("HTTP/1.");
        }
        CommandResult added = banger("vm", "forward", "p1", "add", "0.0.0.0:" + (published + 1) + ":22");
        assertThat(added.exitCode()).as(added.stderr()).isZero();
        assertThat(added.stdout()).contains(forward).contains("0.0.0.0:" + (published + 1) + " -> p1.vm:22/tcp");
        assertThat(banger("vm", "forward", "p1", "remove", Integer.toString(published + 1)).stdout()).isEqualTo(forward + "\n");
        CommandResult missing = banger("vm", "forward", "p1", "remove", "9");
        assertThat(missing.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(missing.stderr()).contains("VM p1 publishes no host port 9/tcp");

        assertThat(banger("vm", "stop", "p1").exitCode()).isZero();
        CommandResult stopped = banger("vm", "ports", "p1");
        assertThat(stopped.exitCode()).isEqualTo(RootCommand.EXIT_FAILED);
        assertThat(stopped.stderr()).contains("VM p1 is not running");
        assertThat(banger("vm", "delete", "-f", "p1").exitCode()).isZero();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out waiting: " + what).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static CommandResult banger(String... args) {
        return guests.banger(args);
    }

    private static List<String> vmNames() {
        return guests.vmNames();
    }

    private static List<Map<?, ?>> operations(String method) {
        return ((List<?>) json("daemon", "operations").get("operations")).stream().<Map<?, ?>>map(o -> (Map<?, ?>) o).filter(o -> method.equals(o.get("method"))).toList();
    }

    /** A command's --json answer, run in-process as root (the test's own look at the daemon). */
    private static Map<?, ?> json(String... args) {
        CliRun r = d.cli(Stream.concat(Stream.of("--json"), Stream.of(args)).toArray(String[]::new));
        try {
            return (Map<?, ?>) Json.parse(r.out());
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", args) + " printed no JSON: " + r.out() + r.err(), e);
        }
    }

    private static Instant instant(Map<?, ?> op, String key) {
        return Instant.parse((String) op.get(key));
    }

    /** The files under a user's ~/.ssh with their modification times (empty when there is none). */
    private static Map<String, Long> dotSshOf(String user) throws IOException {
        Path dotSsh = Path.of("/home", user, ".ssh");
        Map<String, Long> files = new TreeMap<>();
        if (Files.isDirectory(dotSsh)) {
            try (Stream<Path> s = Files.walk(dotSsh)) {
                for (Path p : s.toList()) {
                    files.put(p.toString(), Files.getLastModifiedTime(p).toMillis());
                }
            }
        }
        files.put("exists", Files.exists(dotSsh) ? 1L : 0L);
        return files;
    }

}
