package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.fs.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Puts what banger needs into a flattened image tree before it becomes ext4: the guest init
 * (network, hostname, /root disk, sshd; with or without systemd), the sshd drop-in that
 * accepts banger's per-VM key, and a guard that keeps sshd's PAM stack from making a message of
 * the day nobody sees. Refuses images without an SSH server, which would boot into a VM nobody
 * can reach.
 */
public final class GuestInjector {

    public static final String INIT_PATH = "usr/local/sbin/banger-init";
    static final String SSHD_DROP_IN = "etc/ssh/sshd_config.d/banger.conf";
    static final List<String> SSH_SERVERS = List.of("usr/sbin/sshd", "sbin/sshd", "usr/sbin/dropbear", "usr/bin/dropbear");
    static final String SSHD_PAM = "etc/pam.d/sshd";
    /**
     * Put before each pam_motd line of sshd's PAM stack. sshd shows the message of the day only
     * at an interactive login, and sets PAM_TTY to "ssh" for a session without a terminal (a
     * command: every {@code vm run -- CMD}), where pam_motd would still run update-motd.d's
     * scripts for a message that is thrown away: ~0.2 s of each command session under an
     * emulated CPU.
     */
    static final String MOTD_GUARD_COMMENT = "# banger: no message of the day for commands (sshd shows it only at interactive logins)";
    static final String MOTD_GUARD = "session [success=1 default=ignore] pam_succeed_if.so quiet tty = ssh";
    private static final Pattern MOTD_LINE = Pattern.compile("^\\s*-?session\\s+(\\[[^]]*]|\\S+)\\s+pam_motd\\.so\\b.*");
    private static final List<String> PAM_MODULE_DIRS = List.of("usr/lib/x86_64-linux-gnu/security", "lib/x86_64-linux-gnu/security",
            "usr/lib/aarch64-linux-gnu/security", "lib/aarch64-linux-gnu/security", "usr/lib64/security", "lib64/security",
            "usr/lib/security", "lib/security");
    private static final int PAM_FILE_LIMIT = 64 * 1024;

    private GuestInjector() {
    }

    public static void inject(Path tree, String imageName) {
        if (SSH_SERVERS.stream().noneMatch(p -> Files.exists(tree.resolve(p)))) {
            throw BangerException.badRequest("image " + imageName + " has no SSH server (looked for /"
                    + String.join(", /", SSH_SERVERS) + "); banger reaches VMs over SSH: build the image with "
                    + "openssh-server (Debian/Ubuntu) or openssh/dropbear (Alpine)");
        }
        write(tree, INIT_PATH, resource("banger-init"), 0755);
        if (Files.isDirectory(tree.resolve("etc/ssh"), LinkOption.NOFOLLOW_LINKS)) {
            write(tree, SSHD_DROP_IN, resource("banger-sshd.conf"), 0644);
        }
        guardMotd(tree);
        mkdirs(tree, "etc/banger");
    }

    /**
     * Adds {@link #MOTD_GUARD} before each pam_motd line of {@code /etc/pam.d/sshd}, when the image
     * has that file and the pam_succeed_if module; an image without them, or whose path to them
     * runs through a symlink, is left as it is.
     */
    static void guardMotd(Path tree) {
        if (!realFile(tree, SSHD_PAM) || PAM_MODULE_DIRS.stream().noneMatch(d -> realFile(tree, d + "/pam_succeed_if.so"))) {
            return;
        }
        Path pam = tree.resolve(SSHD_PAM);
        List<String> lines;
        try {
            if (Files.size(pam) > PAM_FILE_LIMIT) {
                return;
            }
            lines = Files.readAllLines(pam);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /" + SSHD_PAM + " in the image: " + e.getMessage(), e);
        }
        if (lines.contains(MOTD_GUARD) || lines.stream().noneMatch(l -> MOTD_LINE.matcher(l).matches())) {
            return;
        }
        List<String> guarded = new ArrayList<>();
        guarded.add(MOTD_GUARD_COMMENT);
        for (String line : lines) {
            if (MOTD_LINE.matcher(line).matches()) {
                guarded.add(MOTD_GUARD);
            }
            guarded.add(line);
        }
        write(tree, SSHD_PAM, (String.join("\n", guarded) + "\n").getBytes(StandardCharsets.UTF_8), 0644);
    }

    /** A regular file at {@code relative} reached through no symlink: no path the image controls leads outside it. */
    private static boolean realFile(Path tree, String relative) {
        Path p = tree;
        for (Path part : Path.of(relative)) {
            p = p.resolve(part);
            if (Files.isSymbolicLink(p)) {
                return false;
            }
        }
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** Writes a file, refusing to follow any symlink the image placed on the way. */
    private static void write(Path tree, String relative, byte[] content, int mode) {
        Path target = tree.resolve(relative);
        mkdirs(tree, tree.relativize(target.getParent()).toString());
        try {
            Files.deleteIfExists(target); // a symlink here is replaced, never written through
            Files.write(target, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write /" + relative + " into the image: " + e.getMessage(), e);
        }
    }

    private static void mkdirs(Path tree, String relative) {
        Path dir = tree;
        for (Path part : Path.of(relative)) {
            dir = dir.resolve(part);
            if (Files.isSymbolicLink(dir)) {
                throw BangerException.badRequest("image has a symlink at /" + tree.relativize(dir)
                        + " where banger installs its guest files; banger will not write through it");
            }
            try {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(dir);
                    Files.createDirectory(dir);
                    Files.setAttribute(dir, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create /" + tree.relativize(dir) + " in the image: " + e.getMessage(), e);
            }
        }
    }

    /** Changes whenever the injected files do, so rootfs builds made with other guest files are not reused. */
    public static String filesVersion() {
        return Sha256.hex(resource("banger-init"), resource("banger-sshd.conf"), MOTD_GUARD.getBytes(StandardCharsets.UTF_8))
                .substring(0, 16);
    }

    private static byte[] resource(String name) {
        try (InputStream in = GuestInjector.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from the daemon jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
