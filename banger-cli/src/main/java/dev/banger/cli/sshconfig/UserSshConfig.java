package dev.banger.cli.sshconfig;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The user's side of {@code banger ssh-config}: banger's own {@code ~/.config/banger/ssh_config}
 * and the fenced Include of it in {@code ~/.ssh/config}. {@code ~} is {@code $HOME}, as the user
 * sees it. Every write goes to a temporary file in the same directory that is renamed over the
 * old one, keeping its mode (a symlinked config, as dotfile managers make, has its target
 * replaced, so the link stays); a change made of several writes is undone as a whole when one
 * fails, and a refusal changes nothing.
 */
public final class UserSshConfig {

    private static final Set<PosixFilePermission> NEW_SSH_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> NEW_SSH_CONFIG = PosixFilePermissions.fromString("rw-------");
    /** Nothing secret in it, and OpenSSH refuses an included file others may write. */
    private static final Set<PosixFilePermission> NEW_BANGER_CONFIG = PosixFilePermissions.fromString("rw-r--r--");

    private final Path home;
    private final Path bangerConfig;
    private final Path sshConfig;

    private UserSshConfig(Path home) {
        this.home = home;
        this.bangerConfig = home.resolve(".config/banger/ssh_config");
        this.sshConfig = home.resolve(".ssh/config");
    }

    /** The files under {@code $HOME}, which must be set to an existing absolute directory. */
    public static UserSshConfig forHome(Map<String, String> env) {
        String home = env.get("HOME");
        if (home == null || home.isBlank() || !Path.of(home).isAbsolute()) {
            throw BangerException.badRequest("HOME is " + (home == null || home.isBlank() ? "not set" : "'" + home + "', not an absolute path")
                    + ": banger ssh-config writes under your home directory");
        }
        if (!Files.isDirectory(Path.of(home))) {
            throw BangerException.badRequest("HOME is '" + home + "', which is not a directory");
        }
        return new UserSshConfig(Path.of(home));
    }

    public Path bangerConfig() {
        return bangerConfig;
    }

    public Path sshConfig() {
        return sshConfig;
    }

    /** Whether ~/.ssh/config has banger's fenced Include. */
    public boolean installed() {
        return read(sshConfig).map(c -> IncludeFence.installed(c, display(sshConfig))).orElse(false);
    }

    /** Writes banger's ssh_config; false when it already said exactly this. */
    public boolean writeBlock(String block) {
        Changes changes = new Changes();
        return changes.apply(() -> changes.write(bangerConfig, block, NEW_BANGER_CONFIG));
    }

    /**
     * Writes banger's ssh_config and the fenced Include of it at the top of ~/.ssh/config
     * (creating ~/.ssh 0700 and the config 0600 when missing); false when both were already so.
     */
    public boolean install(String block) {
        String before = read(sshConfig).orElse("");
        String after = IncludeFence.install(before, "Include " + HostBlock.configWord(bangerConfig.toString()) + "\n", display(sshConfig));
        Changes changes = new Changes();
        return changes.apply(() -> {
            boolean wrote = changes.write(bangerConfig, block, NEW_BANGER_CONFIG);
            if (!after.equals(before)) { // a missing config reads as "", which never has the fence
                changes.directory(sshConfig.getParent(), NEW_SSH_DIR);
                wrote |= changes.write(sshConfig, after, NEW_SSH_CONFIG);
            }
            return wrote;
        });
    }

    /** Removes the fenced block from ~/.ssh/config and nothing else; false when there was none. */
    public boolean uninstall() {
        Optional<String> before = read(sshConfig);
        Optional<String> after = before.flatMap(c -> IncludeFence.uninstall(c, display(sshConfig)));
        if (after.isEmpty()) {
            return false;
        }
        Changes changes = new Changes();
        return changes.apply(() -> changes.write(sshConfig, after.get(), NEW_SSH_CONFIG));
    }

    /** {@code ~/.ssh/config} rather than the full path, in messages. */
    public String display(Path p) {
        return p.startsWith(home) ? "~/" + home.relativize(p) : p.toString();
    }

    private Optional<String> read(Path file) {
        try {
            if (Files.exists(file) && !Files.isRegularFile(file)) {
                throw BangerException.badRequest(display(file) + " is not a regular file");
            }
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot read " + display(file) + ": " + e.getMessage(), e);
        }
    }

    /** Writes made so far, each with its undo, so a failure half-way leaves everything as it was. */
    private final class Changes {
        private final List<Undo> undo = new ArrayList<>();

        private interface Undo {
            void run() throws IOException;
        }

        boolean apply(BooleanSupplier work) {
            try {
                return work.getAsBoolean();
            } catch (RuntimeException e) {
                for (Undo u : undo.reversed()) {
                    try {
                        u.run();
                    } catch (IOException | RuntimeException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        /** "cannot create ~/.ssh: permission denied" rather than the JDK's bare file name. */
        private BangerException failed(String doing, Path p, IOException e) {
            String reason = e.getMessage();
            if (e instanceof FileSystemException fse) {
                reason = fse.getReason() != null ? fse.getReason()
                        : e instanceof AccessDeniedException ? "permission denied"
                        : e instanceof NotDirectoryException ? "not a directory"
                        : e instanceof FileAlreadyExistsException ? "something else is in the way" : e.getClass().getSimpleName();
            }
            return new BangerException(ErrorCode.OPERATION_FAILED, "cannot " + doing + " " + display(p) + ": " + reason
                    + " (nothing was changed)", e);
        }

        /** Creates {@code dir} (and its missing parents) with {@code mode}. */
        void directory(Path dir, Set<PosixFilePermission> mode) {
            List<Path> missing = new ArrayList<>();
            for (Path d = dir; d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) {
                missing.addFirst(d);
            }
            for (Path d : missing) {
                try {
                    Files.createDirectory(d);
                    undo.add(() -> Files.deleteIfExists(d));
                    Files.setPosixFilePermissions(d, d.equals(dir) ? mode : PosixFilePermissions.fromString("rwx------"));
                } catch (IOException e) {
                    throw failed("create", d, e);
                }
            }
        }

        /** Replaces {@code file}'s content atomically (a new file gets {@code newMode}); false when it already had it. */
        boolean write(Path file, String content, Set<PosixFilePermission> newMode) {
            Optional<String> before = read(file);
            if (before.isPresent() && before.get().equals(content)) {
                return false;
            }
            directory(file.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Path target;
            PosixFileAttributes old;
            try {
                target = Files.isSymbolicLink(file) ? file.toRealPath() : file;
                old = before.isPresent() ? Files.readAttributes(target, PosixFileAttributes.class) : null;
                replace(target, content, old, newMode);
            } catch (IOException e) {
                throw failed("write", file, e);
            }
            undo.add(() -> {
                if (old == null) {
                    Files.deleteIfExists(target);
                } else {
                    replace(target, before.get(), old, newMode);
                }
            });
            return true;
        }
    }

    /** Temp file in the same directory, content, fsync, the old file's mode and owner, rename over it. */
    private static void replace(Path target, String content, PosixFileAttributes old, Set<PosixFilePermission> newMode) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(StandardCharsets.UTF_8.encode(content));
                ch.force(true);
            }
            Files.setPosixFilePermissions(tmp, old != null ? old.permissions() : newMode);
            if (old != null && !old.owner().equals(Files.getOwner(tmp))) {
                // Only root can give a file away: then the user keeps owning their own config.
                Files.setOwner(tmp, old.owner());
                Files.getFileAttributeView(tmp, PosixFileAttributeView.class).setGroup(old.group());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
