package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.fs.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Puts what banger needs into a flattened image tree before it becomes ext4: the guest init
 * (network, hostname, /root disk, sshd; with or without systemd) and the sshd drop-in that
 * accepts banger's per-VM key. Refuses images without an SSH server, which would boot into a
 * VM nobody can reach.
 */
public final class GuestInjector {

    public static final String INIT_PATH = "usr/local/sbin/banger-init";
    static final String SSHD_DROP_IN = "etc/ssh/sshd_config.d/banger.conf";
    /**
     * A guest command that succeeds when the image's guest init has the identity agent, which looks
     * for the virtio-serial port named banger.identity (vm.hypervisor.QemuCommandLine names it so);
     * images made before it have an init without.
     */
    public static final String IDENTITY_AGENT_CHECK = "grep -qF banger.identity /" + INIT_PATH;
    static final List<String> SSH_SERVERS = List.of("usr/sbin/sshd", "sbin/sshd", "usr/sbin/dropbear", "usr/bin/dropbear");

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
        mkdirs(tree, "etc/banger");
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
        return Sha256.hex(resource("banger-init"), resource("banger-sshd.conf")).substring(0, 16);
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
