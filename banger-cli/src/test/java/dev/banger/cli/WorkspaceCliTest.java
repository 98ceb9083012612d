package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Workspaces as a user lives them: the built launcher run as banger-test (group banger, not root)
 * ships a repository that banger-test owns into real QEMU guests (busybox + dropbear + the host's
 * git), runs, execs, copies and exports. One VM ({@code w1}) carries the ordered checks; two
 * short {@code vm run --rm} boots check exit status passthrough and a guest without git.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkspaceCliTest {

    private static final String USER = GuestFixture.USER;
    private static final CommandRunner RUNNER = new CommandRunner();

    static GuestFixture guests;
    static Path dir;
    static RunningDaemon d;
    static Path repo;

    @BeforeAll
    static void start() throws Exception {
        guests = GuestFixture.start("banger-ws", false, "bbgit", "bb");
        dir = guests.dir;
        d = guests.d;
        repo = userRepo();
    }

    @AfterAll
    static void stop() {
        if (guests != null) {
            guests.close();
        }
    }

    @Test
    @Order(1)
    void badPathsAreRefusedWithExitTwoAndNoVm() throws Exception {
        Path secret = Files.createDirectory(dir.resolve("root-only"));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
        Path plain = Files.createDirectory(dir.resolve("not-a-repo"));
        record Refusal(Path path, String message) {
        }
        for (Refusal r : List.of(
                new Refusal(dir.resolve("missing"), dir.resolve("missing") + " does not exist"),
                new Refusal(plain, plain + " is not in a git work tree"),
                new Refusal(secret, secret + " cannot be read by you (banger-test)"))) {
            CommandResult run = banger("vm", "run", "--rm", r.path().toString(), "--", "true");
            assertThat(run.exitCode()).as(run.stderr()).isEqualTo(2);
            assertThat(run.stderr()).contains(r.message());
        }
        assertThat(vmNames()).as("no VM was created for a bad PATH").isEmpty();
    }

    @Test
    @Order(2)
    void runShipsTheRepoRunsThereAndPassesTheExitStatusThrough() throws Exception {
        CommandResult run = banger("vm", "run", "--rm", repo.resolve("src").toString(), "--", "sh", "-c", "cat src/a.txt; pwd; exit 7");
        assertThat(run.exitCode()).as(run.stderr()).isEqualTo(7);
        assertThat(run.stdout()).isEqualTo("edited on the host\n/root/repo\n");
        assertThat(run.stderr()).contains("shipped ", "files into ");
        assertThat(vmNames()).as("--rm deleted the VM").isEmpty();

        CommandResult noGit = banger("vm", "run", "--rm", "--image", "bb", repo.toString(), "--", "cat", "b.txt");
        assertThat(noGit.exitCode()).as(noGit.stderr()).isZero();
        assertThat(noGit.stdout()).isEqualTo("two\n");
        assertThat(noGit.stderr()).contains("the guest has no git", "export` needs git in the guest");
    }

    @Test
    @Order(3)
    void aPreparedGuestSaysWhatTheHostSaysAndExportsItsChangesAsAPatchTheHostApplies() throws Exception {
        assertThat(banger("vm", "create", "--name", "w1").exitCode()).isZero();
        CommandResult never = banger("vm", "workspace", "export", "w1");
        assertThat(never.exitCode()).isEqualTo(1);
        assertThat(never.stderr()).contains("VM w1 has no workspace: nothing was ever shipped into it");

        CommandResult prepare = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked");
        assertThat(prepare.exitCode()).as(prepare.stderr()).isZero();
        assertThat(prepare.stdout()).contains("shipped 7 files into w1:/root/repo");
        assertThat(exec("git", "status", "--porcelain")).isEqualTo(host("git", "status", "--porcelain"))
                .contains(" M src/a.txt", "?? untracked.txt", " D gone.txt");
        assertThat(exec("git", "log", "-1", "--format=%H %an <%ae>")).isEqualTo(host("git", "log", "-1", "--format=%H %an <%ae>"));
        assertThat(exec("git", "config", "user.name")).isEqualTo("Ada Lovelace\n");
        assertThat(exec("git", "diff")).isEqualTo(host("git", "diff"));

        // The guest edits one file, deletes one, adds an executable script and a binary file.
        CommandResult edit = banger("vm", "exec", "w1", "--", "sh", "-c", "echo guest edit >> b.txt; rm keep/deep.txt;"
                + " printf '#!/bin/sh\\necho run\\n' > run.sh; chmod 755 run.sh; printf '\\000\\001\\377bin' > blob.bin");
        assertThat(edit.exitCode()).as(edit.stderr()).isZero();
        String indexBefore = exec("md5sum", ".git/index");

        Path patch = Files.createDirectory(dir.resolve("patches")).resolve("changes.patch");
        RUNNER.run("chown", USER, patch.getParent().toString());
        CommandResult export = banger("vm", "workspace", "export", "w1", "--output", patch.toString());
        assertThat(export.exitCode()).as(export.stderr()).isZero();
        assertThat(export.stdout()).isEmpty();
        CommandResult toStdout = banger("vm", "workspace", "export", "w1");
        assertThat(toStdout.stdout()).as("stdout carries the patch and nothing else").isEqualTo(Files.readString(patch));
        assertThat(exec("md5sum", ".git/index")).as("export left the guest's index alone").isEqualTo(indexBefore);
        assertThat(Files.readString(patch)).contains("GIT binary patch", "new file mode 100755",
                "deleted file mode 100644");

        assertThat(host("git", "apply", "--check", patch.toString())).isEmpty();
        host("git", "apply", patch.toString());
        assertThat(host("sh", "-c", TREE_SUMS)).isEqualTo(exec("sh", "-c", TREE_SUMS)).contains("blob.bin", "run.sh");
        assertThat(Files.isExecutable(repo.resolve("run.sh"))).isTrue();

        CommandResult emptyAgain = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked");
        assertThat(emptyAgain.exitCode()).as("guest changes are not overwritten without --force").isEqualTo(1);
        assertThat(emptyAgain.stderr()).contains("the guest changed 4 file(s) since the last ship", "--force");
    }

    @Test
    @Order(4)
    void aSecondPrepareSendsOnlyWhatChangedAndRemovesWhatTheHostDeleted() throws Exception {
        CommandResult force = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked", "--force");
        assertThat(force.exitCode()).as(force.stderr()).isZero();
        assertThat(exec("git", "status", "--porcelain")).isEqualTo(host("git", "status", "--porcelain"));

        asUser("sh", "-c", "echo again >> src/a.txt && rm untracked.txt");
        CommandResult update = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked");
        assertThat(update.exitCode()).as(update.stderr()).isZero();
        assertThat(update.stdout()).contains("shipped 1 changed, 1 removed into w1:/root/repo");
        assertThat(exec("git", "status", "--porcelain")).isEqualTo(host("git", "status", "--porcelain"));
        assertThat(exec("cat", "src/a.txt")).isEqualTo("edited on the host\nagain\n");

        CommandResult same = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked",
                "--sync", repo.resolve("src/tool.sh") + ":/root/bin-tool");
        assertThat(same.stdout()).contains("nothing changed since the last ship into w1");
        assertThat(exec("sh", "-c", "stat -c %a /root/bin-tool; cat /root/bin-tool")).as("--sync copied it, mode kept")
                .isEqualTo("755\n#!/bin/sh\n");

        // A full guest disk: the ship fails saying so, and the tree in the guest stays as it was.
        banger("vm", "exec", "w1", "--", "sh", "-c", "dd if=/dev/zero of=/root/fill bs=1M 2>/dev/null; true");
        asUser("sh", "-c", "head -c 3000000 /dev/urandom > big.bin");
        CommandResult full = banger("vm", "workspace", "prepare", "w1", repo.toString(), "--include-untracked");
        assertThat(full.exitCode()).isEqualTo(1);
        assertThat(full.stderr()).contains("no space left on /root/repo in VM w1 while shipping the workspace",
                "No space left on device", "banger vm exec w1 -- df -h /root/repo");
        assertThat(exec("cat", "src/a.txt")).isEqualTo("edited on the host\nagain\n");
        assertThat(exec("sh", "-c", "ls -a /root | grep -c banger-ship || true")).as("no temporary tree left").isEqualTo("0\n");
        exec("rm", "/root/fill");
        asUser("rm", "big.bin");
    }

    @Test
    @Order(5)
    void execSshAndCpBehaveAsTheirNamesakesDo() throws Exception {
        CommandResult stdin = Launchers.run(USER, Map.of(), "sh", "-c", "printf 'from stdin\\n' | " + Launchers.BANGER
                + " --socket " + d.socket + " vm exec -i -e GREETING=hi w1 -- sh -c 'cat; echo $GREETING; pwd'");
        assertThat(stdin.exitCode()).as(stdin.stderr()).isZero();
        assertThat(stdin.stdout()).isEqualTo("from stdin\nhi\n/root/repo\n");
        CommandResult status = banger("vm", "exec", "--workdir", "/tmp", "w1", "--", "sh", "-c", "pwd; exit 3");
        assertThat(status.exitCode()).isEqualTo(3);
        assertThat(status.stdout()).isEqualTo("/tmp\n");

        CommandResult ssh = banger("vm", "ssh", "w1", "--", "echo a; echo b");
        assertThat(ssh.exitCode()).as(ssh.stderr()).isZero();
        assertThat(ssh.stdout()).isEqualTo("a\nb\n");

        Path out = Files.createDirectory(dir.resolve("out"));
        RUNNER.run("chown", USER, out.toString());
        assertThat(banger("vm", "cp", repo.resolve("src").toString(), "w1:/tmp").exitCode()).isZero();
        assertThat(exec("sh", "-c", "cat /tmp/src/a.txt; stat -c %a /tmp/src/tool.sh")).isEqualTo("edited on the host\nagain\n755\n");
        assertThat(banger("vm", "cp", "w1:/tmp/src", out.toString()).exitCode()).isZero();
        assertThat(Files.readString(out.resolve("src/a.txt"))).isEqualTo("edited on the host\nagain\n");
        assertThat(Files.isExecutable(out.resolve("src/tool.sh"))).isTrue();
        assertThat(Files.getOwner(out.resolve("src/a.txt")).getName()).as("written by the user, as the user").isEqualTo(USER);
        assertThat(banger("vm", "cp", "w1:/root/repo/b.txt", out.resolve("renamed.txt").toString()).exitCode()).isZero();
        assertThat(Files.readString(out.resolve("renamed.txt"))).startsWith("two\n");
        CommandResult tar = Launchers.run(USER, Map.of(), "sh", "-c", Launchers.BANGER + " --socket " + d.socket
                + " vm cp w1:/tmp/src - | tar -t | sort");
        assertThat(tar.stdout()).contains("src/a.txt", "src/tool.sh");

        CommandResult unreadable = banger("vm", "cp", "/etc/shadow", "w1:/tmp/");
        assertThat(unreadable.exitCode()).isEqualTo(2);
        assertThat(unreadable.stderr()).contains("/etc/shadow cannot be read by you (banger-test)");

        assertThat(banger("vm", "stop", "w1").exitCode()).isZero();
        CommandResult stopped = banger("vm", "exec", "w1", "--", "true");
        assertThat(stopped.exitCode()).isEqualTo(1);
        assertThat(stopped.stderr()).contains("VM w1 is not running");
        assertThat(banger("vm", "delete", "-f", "w1").exitCode()).isZero();
    }

    /** Path and checksum of every file outside .git but the ignored *.log, sorted: the same on both sides when the trees are equal. */
    private static final String TREE_SUMS = "find . -path ./.git -prune -o -type f ! -name '*.log' -print | LC_ALL=C sort | while read -r f;"
            + " do echo \"$(md5sum < \"$f\" | cut -c1-32) $(stat -c %a \"$f\") $f\"; done";

    /** A repository banger-test owns: committed files, an uncommitted edit, a deletion, an untracked and an ignored file. */
    private static Path userRepo() throws IOException {
        return guests.userRepo("repo", "git init -q -b main", "git config user.name 'Ada Lovelace'", "git config user.email ada@example.org",
                "mkdir -p src keep", "printf 'one\\n' > src/a.txt", "printf 'two\\n' > b.txt", "printf 'bye\\n' > gone.txt",
                "printf 'deep\\n' > keep/deep.txt", "printf '#!/bin/sh\\n' > src/tool.sh", "chmod 755 src/tool.sh",
                "ln -s src/tool.sh tool", "printf '*.log\\n' > .gitignore", "git add -A", "git commit -q -m first",
                "printf 'edited on the host\\n' > src/a.txt", "rm gone.txt", "printf 'u\\n' > untracked.txt",
                "printf 'ignored\\n' > build.log");
    }

    private static String exec(String... cmd) {
        List<String> args = new ArrayList<>(List.of("vm", "exec", "w1", "--"));
        args.addAll(List.of(cmd));
        CommandResult r = banger(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(String.join(" ", cmd) + ": " + r.stderr()).isZero();
        return r.stdout();
    }

    private static String host(String... cmd) {
        return GuestFixture.asUserIn(repo, cmd);
    }

    private static String asUser(String... cmd) {
        return GuestFixture.asUserIn(repo, cmd);
    }

    private static CommandResult banger(String... args) {
        return guests.banger(args);
    }

    private static List<String> vmNames() {
        return guests.vmNames();
    }
}
