package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.banger.core.model.VmInfo;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a fresh image pull and a running VM leave under state_dir and cache_dir, walked file by
 * file: no directory open to other users, no file they could read, every disk 0600. Then the
 * same seen by real users: one outside group banger reads nothing, a member reads exactly what
 * its CLI needs (the group key and known_hosts). The state sits under a directory everyone may
 * traverse, as /var/lib is, so only banger's own modes stand in the way.
 */
class StateModesTest {

    private static final CommandRunner RUNNER = new CommandRunner();
    private static final String MEMBER = "banger-test";
    private static final String OUTSIDER = "nobody";

    /**
     * Files that may keep read bits for others, each with why (directories never may). The walk
     * fails on any file not listed here that others could read.
     */
    private static final Map<String, String> OTHERS_MAY_READ = Map.of(
            "state/kernels/", "kernel files stay as made (0644): Firecracker's jailer hard-links them into a chroot where"
                    + " the jail's uid must read them; kernels/ and each kernel's dir are 0700, so no one else reaches them");

    /** Directories others may enter, each with why (none may be listed or written by others). */
    private static final Map<String, String> OTHERS_MAY_ENTER = Map.of(
            "state/vms/*/chroot/", "QEMU's empty chroot (0555, root's): the VMM user it drops to must enter it; the 0700"
                    + " VM dir around it keeps everyone else out");

    Path root;

    @AfterEach
    void removeRoot() {
        if (root != null) {
            RUNNER.runAllowingFailure(Command.of("rm", "-rf", "--one-file-system", root.toString()));
        }
    }

    @Test
    void aPulledImageAndARunningVmLeaveNothingOtherUsersCanRead() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "needs root to look as other users");
        assumeTrue(RUNNER.runAllowingFailure(Command.of("id", "-u", MEMBER)).ok(), "needs the user " + MEMBER);
        root = Files.createTempDirectory(Path.of("/tmp"), "state-modes-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (VmRig rig = VmRig.withBusybox(root)) {
            VmInfo vm = rig.vms.create(VmRig.create("modes", "bb"), rig.ctx("vm.create"));
            assertThat(vm.state()).isEqualTo(VmInfo.RUNNING);
            Path state = rig.layout.stateDir();
            Path cache = rig.layout.cacheDir();
            Path base = state.getParent();
            assertThat(cache.getParent()).isEqualTo(base);

            List<String> problems = new ArrayList<>();
            List<String> disks = new ArrayList<>();
            List<String> walked = new ArrayList<>();
            for (Path top : List.of(state, cache)) {
                try (Stream<Path> all = Files.walk(top)) {
                    for (Path p : all.toList()) {
                        String rel = base.relativize(p) + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : "");
                        walked.add(rel);
                        check(p, rel, problems, disks);
                    }
                }
            }
            assertThat(problems).as("modes under %s", base).isEmpty();
            String vmDir = "state/vms/" + vm.id() + "/";
            assertThat(walked).as("a running VM's files were walked").contains(vmDir, vmDir + "console.log", vmDir + "handles.json",
                    "state/banger.db", "state/ssh/id_ed25519", "state/kernels/cloud/vmlinuz")
                    .anyMatch(f -> f.startsWith("cache/oci/blobs/sha256/"));
            assertThat(disks).as("the disks walked").anyMatch(d -> d.startsWith("state/images/") && d.endsWith("/rootfs.ext4"))
                    .anyMatch(d -> d.startsWith("state/images/") && d.endsWith("/work-seed.ext4"))
                    .anyMatch(d -> d.startsWith("state/vms/") && d.contains("/root."))
                    .anyMatch(d -> d.startsWith("state/vms/") && d.endsWith("/work.ext4"))
                    .anyMatch(d -> d.startsWith("cache/rootfs/"));

            assertThat(readableFiles(OUTSIDER, state, cache)).as("what a user outside group banger can read").isEmpty();
            assertThat(readableFiles(MEMBER, state, cache)).as("what a member of group banger can read: what its ssh needs")
                    .containsExactlyInAnyOrder(state.resolve("ssh/id_ed25519-group").toString(), state.resolve("ssh/known_hosts").toString());
        }
    }

    private static void check(Path p, String rel, List<String> problems, List<String> disks) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode") & 07777;
        String octal = String.format("%04o", mode);
        if (Files.isSymbolicLink(p)) {
            return; // a link's own mode means nothing; what it names is walked (or is outside, and caught by its parent's mode)
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            boolean sharedWithGroup = rel.equals("state/") || rel.equals("state/ssh/");
            boolean enterable = OTHERS_MAY_ENTER.keySet().stream().anyMatch(glob -> rel.matches(glob.replace("*", "[^/]+")));
            int allowed = sharedWithGroup ? 0750 : enterable ? 0555 : 0700;
            if ((mode & ~allowed) != 0) {
                problems.add(rel + " is " + octal + ", at most " + String.format("%04o", allowed));
            }
            return;
        }
        boolean disk = rel.endsWith(".ext4") || rel.endsWith(".qcow2");
        if (disk) {
            disks.add(rel);
            if (mode != 0600) {
                problems.add(rel + " is a disk and " + octal + ", not 0600");
            }
        } else if ((mode & 0007) != 0 && OTHERS_MAY_READ.keySet().stream().noneMatch(rel::startsWith)) {
            problems.add(rel + " is " + octal + ": other users may use it");
        }
    }

    /** The regular files under {@code dirs} that {@code user} can open for reading, as find(1) run as that user sees them. */
    private static List<String> readableFiles(String user, Path... dirs) {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + primaryGroup(user), "--init-groups",
                "--", "find"));
        argv.addAll(Arrays.stream(dirs).map(Path::toString).toList());
        argv.addAll(List.of("-type", "f", "-readable"));
        String out = RUNNER.runAllowingFailure(Command.of(argv.toArray(String[]::new))).stdout();
        return new ArrayList<>(new TreeSet<>(out.lines().filter(l -> !l.isBlank()).toList()));
    }

    private static String primaryGroup(String user) {
        return RUNNER.run(Command.of("id", "-gn", user)).stdout().strip();
    }
}
