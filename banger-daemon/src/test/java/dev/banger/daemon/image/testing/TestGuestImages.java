package dev.banger.daemon.image.testing;

import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.oci.MediaTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest images that really boot, for the VM tests: OCI images to push to a {@link TestRegistry}
 * and pull with {@code ImageService}, which adds banger-init. Built from this host's own files
 * (Debian packages host-setup.sh installs), never downloaded: tests have no network.
 */
public final class TestGuestImages {

    /** Where host-setup.sh puts the debootstrapped Debian bookworm tree (systemd, OpenSSH). */
    public static final Path DEBIAN_ROOTFS = Path.of("/var/cache/banger-test/debian-bookworm-rootfs.tar.gz");

    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<Path> DROPBEAR = List.of(Path.of("/usr/sbin/dropbear"), Path.of("/usr/bin/dropbearkey"));
    private static final Path GIT = Path.of("/usr/bin/git");
    private static final Pattern LDD_PATH = Pattern.compile("(/\\S+) \\(0x");

    private TestGuestImages() {
    }

    /**
     * The smallest image banger can boot and SSH into (~3 MB gzip): busybox-static with every
     * applet linked in /bin, dropbear with its shared libraries and loader, and a root account
     * that logs in with a key only. No init of its own: banger-init runs dropbear and reaps.
     */
    public static TestImage busyboxImage() {
        return TestImage.image(List.of(busyboxLayer()), MediaTypes.OCI_LAYER_GZIP);
    }

    /**
     * {@link #busyboxImage} with the host's git (and what it links against) on top: the smallest
     * guest a workspace can be shipped into with history and exported from.
     */
    public static TestImage busyboxGitImage() {
        requireHostFile(GIT, "git");
        TestLayer layer = new TestLayer();
        List<Path> libs = sharedLibraries(List.of(GIT));
        Set<String> libDirs = new LinkedHashSet<>();
        libs.forEach(lib -> libDirs.add(lib.getParent().toString().substring(1)));
        layer.dir("usr", 0755).dir("usr/bin", 0755);
        libDirs.forEach(dir -> layer.dir(dir, 0755));
        libs.forEach(lib -> layer.file(lib.toString().substring(1), read(lib), 0755));
        layer.file("usr/bin/git", read(GIT), 0755);
        return TestImage.image(List.of(busyboxLayer(), layer.gzip()), MediaTypes.OCI_LAYER_GZIP);
    }

    private static byte[] busyboxLayer() {
        requireHostFile(BUSYBOX, "busybox-static");
        DROPBEAR.forEach(p -> requireHostFile(p, "dropbear-bin"));
        TestLayer layer = new TestLayer();
        for (String dir : List.of("bin", "etc", "etc/dropbear", "usr", "usr/bin", "usr/sbin", "var", "var/log", "proc", "sys",
                "dev", "run")) {
            layer.dir(dir, 0755);
        }
        layer.dir("root", 0700).dir("tmp", 01777);
        layer.file("bin/busybox", read(BUSYBOX), 0755);
        for (String applet : new CommandRunner().run(BUSYBOX.toString(), "--list").stdout().split("\n")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                layer.symlink("bin/" + applet.strip(), "busybox");
            }
        }
        Set<String> libDirs = new LinkedHashSet<>();
        List<Path> libs = sharedLibraries(DROPBEAR);
        libs.forEach(lib -> libDirs.add(lib.getParent().toString().substring(1)));
        libDirs.forEach(dir -> layer.dir(dir, 0755));
        libs.forEach(lib -> layer.file(lib.toString().substring(1), read(lib), 0755));
        DROPBEAR.forEach(bin -> layer.file(bin.toString().substring(1), read(bin), 0755));
        // Dropbear refuses accounts whose password field starts with '!' ("locked") and shells not
        // in /etc/shells: '*' is no password at all, and key logins still work.
        layer.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
                .file("etc/group", "root:x:0:\n")
                .file("etc/shadow", "root:*:19000:0:99999:7:::\n", 0600, 0, 0)
                .file("etc/shells", "/bin/sh\n")
                .file("etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
                .file("etc/hosts", "127.0.0.1 localhost\n");
        return layer.gzip();
    }

    /**
     * Debian bookworm as debootstrap makes it (minbase with systemd-sysv, openssh-server, iproute2,
     * udev, dbus; no SSH host keys), one gzip layer of ~100 MB. host-setup.sh builds the tarball
     * once; missing, the test fails saying so (a non-root user gets a skip).
     */
    public static TestImage debianImage() {
        if (!Files.isRegularFile(DEBIAN_ROOTFS)) {
            TestKernelDeb.missing("the Debian bookworm root filesystem " + DEBIAN_ROOTFS + " is missing: "
                    + TestKernelDeb.SETUP + " (it debootstraps it once)");
        }
        return TestImage.image(List.of(read(DEBIAN_ROOTFS)), MediaTypes.OCI_LAYER_GZIP);
    }

    /** What these programs link against, the dynamic loader included, as ldd resolves them. */
    private static List<Path> sharedLibraries(List<Path> programs) {
        Set<Path> libs = new LinkedHashSet<>();
        for (Path bin : programs) {
            Matcher m = LDD_PATH.matcher(new CommandRunner().run(Command.of("ldd", bin.toString())).stdout());
            while (m.find()) {
                libs.add(Path.of(m.group(1)));
            }
        }
        return List.copyOf(libs);
    }

    private static void requireHostFile(Path file, String debianPackage) {
        if (!Files.isRegularFile(file)) {
            TestKernelDeb.missing(file + " is not installed (Debian package " + debianPackage + "): " + TestKernelDeb.SETUP);
        }
    }

    /** The file's bytes, through symlinks (libfoo.so.1 -> libfoo.so.1.2.3 lands as libfoo.so.1). */
    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " for a test guest image", e);
        }
    }
}
