package dev.banger.daemon.vm.hypervisor;

import dev.banger.daemon.fs.SparseFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The jailer's chroot for one VM, inside the VM's run dir so it goes with the VM and every path
 * in it names the VM dir: {@code RUN/jail/<exec file name>/<id>/root}, the layout the jailer
 * itself uses under {@code --chroot-base-dir} (docs/jailer.md). The jailer copies the Firecracker
 * binary in, makes {@code /dev/kvm} and {@code /dev/net/tun} and chowns the chroot's root; banger
 * puts in what the API names: kernel, initrd, disks, log and metrics files as hard links (the
 * same inodes, so the guest writes the VM's own disks and nothing is copied), owned by the jail's
 * uid where Firecracker writes them, and the run dir's path inside the chroot, where Firecracker
 * binds its API socket: its command line then names the VM's socket exactly as an unjailed one
 * does, and {@code RUN/fc.sock} is a short symlink to it (the chroot's own path may exceed the
 * 108 bytes of a Unix socket address).
 */
final class JailerLayout {

    static final String CHROOT_BASE = "jail";

    private final Path runDir;
    private final Path chrootDir;
    private final int uid;
    private final int gid;

    /** {@code runDir} absolute; {@code execFileName} the last component of the Firecracker binary's path. */
    JailerLayout(Path runDir, String execFileName, String id, int uid, int gid) {
        this.runDir = runDir;
        this.chrootDir = runDir.resolve(CHROOT_BASE).resolve(execFileName).resolve(id).resolve("root");
        this.uid = uid;
        this.gid = gid;
    }

    /** The jailer's {@code --chroot-base-dir}. */
    Path chrootBase() {
        return runDir.resolve(CHROOT_BASE);
    }

    Path chrootDir() {
        return chrootDir;
    }

    /**
     * The chroot dir of the jailed Firecracker whose run dir this is, from the API socket's symlink
     * (which launch made, pointing at the run dir's path inside the chroot); empty when it runs unjailed.
     */
    static Optional<Path> chrootOf(Path runDir) throws IOException {
        Path socket = runDir.resolve(FirecrackerDriver.API_SOCKET);
        if (!Files.isSymbolicLink(socket)) {
            return Optional.empty();
        }
        Path target = Files.readSymbolicLink(socket);
        Path inJail = runDir.getRoot().relativize(socket);
        if (!target.isAbsolute() || !target.endsWith(inJail) || target.getNameCount() <= inJail.getNameCount()) {
            throw new IOException(socket + " points at " + target + ", not into a jail");
        }
        return Optional.of(target.getRoot().resolve(target.subpath(0, target.getNameCount() - inJail.getNameCount())));
    }

    /** Where a host path is when seen from the chroot (the same absolute path under the chroot dir). */
    Path hostPathOf(Path pathInJail) {
        return chrootDir.resolve(runDir.getRoot().relativize(pathInJail));
    }

    /** The chroot dir and, inside it, the run dir's path, writable by the jail's uid. */
    void create() throws IOException {
        Path jailedRun = hostPathOf(runDir);
        Files.createDirectories(jailedRun);
        chown(jailedRun);
    }

    /**
     * Hard-links a file Firecracker only reads into the chroot's root as {@code name} and returns
     * its path inside the jail. It must be readable by the jail's uid: chowning a link would chown
     * the shared original (a kernel every VM boots).
     */
    String linkReadOnly(Path file, String name) throws IOException {
        if (!readableBy(file)) {
            throw new IOException(file + " is not readable by the jailer's uid " + uid + "/gid " + gid
                    + " (make it world-readable: chmod o+r)");
        }
        return link(file, name);
    }

    /** Hard-links a file Firecracker writes (a disk, its log) into the chroot's root, owned by the jail's uid. */
    String linkWritable(Path file, String name) throws IOException {
        chown(file);
        return link(file, name);
    }

    /**
     * Copies a root-only file (a snapshot's saved state) into the chroot's root as {@code name},
     * sparse and owned by the jail's uid, and returns its path inside the jail: a hard link would
     * share the 0600 root-owned original, which the jailed Firecracker cannot open.
     */
    String copyIn(Path file, String name) throws IOException {
        Path copy = chrootDir.resolve(name);
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            SparseFiles.write(in, copy);
        }
        chown(copy);
        return "/" + name;
    }

    private String link(Path file, String name) throws IOException {
        Files.createLink(chrootDir.resolve(name), file);
        return "/" + name;
    }

    private void chown(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }

    /** By the permission bits, as the kernel checks them for the jail's uid and gid (no supplementary groups). */
    private boolean readableBy(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:mode,uid,gid");
        int mode = (Integer) a.get("mode");
        return (mode & 0004) != 0 || (mode & 0040) != 0 && (Integer) a.get("gid") == gid
                || (mode & 0400) != 0 && (Integer) a.get("uid") == uid;
    }

    /** The argv of the jailer starting {@code firecracker} with {@code firecrackerArgs} in this chroot. */
    List<String> jailerArgv(Path jailer, Path firecracker, String id, List<String> firecrackerArgs) {
        List<String> argv = new ArrayList<>(List.of(jailer.toString(),
                "--id", id,
                "--exec-file", firecracker.toString(),
                "--uid", Integer.toString(uid),
                "--gid", Integer.toString(gid),
                "--chroot-base-dir", chrootBase().toString(),
                "--"));
        argv.addAll(firecrackerArgs);
        return argv;
    }
}
