package dev.banger.daemon.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import java.util.Set;

/**
 * The modes of banger's own files, set explicitly: the daemon's umask is not banger's to choose
 * (tests, a shell's {@code banger daemon start}), and child tools (mkfs.ext4, cp, qemu-img,
 * truncate) create files by it. State directories are 0700, disks and the daemon's files 0600;
 * only what a member of group {@code banger} must read through the CLI is shared with that group.
 */
public final class FileModes {

    /** The group whose members use banger; see docs/privileges.md. */
    public static final String GROUP = "banger";
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_DIR = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> GROUP_FILE = PosixFilePermissions.fromString("rw-r-----");

    private FileModes() {
    }

    /** For {@code Files.createFile} / {@code createTempFile} / {@code FileChannel.open}: born 0600 (less under a stricter umask). */
    public static FileAttribute<Set<PosixFilePermission>> privateFile() {
        return PosixFilePermissions.asFileAttribute(PRIVATE_FILE);
    }

    /**
     * Creates {@code dir} (and missing parents, 0700 too) if needed, then makes it 0700.
     * Directories follow a link (a configured state_dir may be one); files never do.
     */
    public static Path privateDir(Path dir) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + dir + " a private (0700) directory: " + e.getMessage(), e);
        }
    }

    /** Makes a file just created, by us or a child tool, 0600. A link is not followed (the chmod fails instead). */
    public static Path privateFile(Path file) {
        try {
            set(file, PRIVATE_FILE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make " + file + " private (0600): " + e.getMessage(), e);
        }
    }

    /**
     * Creates {@code dir} if needed and makes it 0750 with group {@code banger}, for what members
     * read through the CLI; 0700 where there is no such group, or it is not ours to give (a daemon
     * run by a user outside it, whose own CLI is then its only client).
     */
    public static Path groupDir(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, giveToGroup(Files.getFileAttributeView(dir, PosixFileAttributeView.class))
                    ? GROUP_DIR : PRIVATE_DIR);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the mode of " + dir + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #groupDir}, for a file: 0640 group {@code banger}, else 0600. */
    public static Path groupFile(Path file) throws IOException {
        set(file, giveToGroup(view(file)) ? GROUP_FILE : PRIVATE_FILE);
        return file;
    }

    /** Group {@code banger}, when it exists. */
    public static Optional<GroupPrincipal> bangerGroup() throws IOException {
        try {
            return Optional.of(FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(GROUP));
        } catch (UserPrincipalNotFoundException e) {
            return Optional.empty();
        }
    }

    private static boolean giveToGroup(PosixFileAttributeView p) throws IOException {
        Optional<GroupPrincipal> group = bangerGroup();
        if (group.isEmpty()) {
            return false;
        }
        try {
            p.setGroup(group.get());
            return true;
        } catch (IOException notAMember) {
            return false;
        }
    }

    private static void set(Path p, Set<PosixFilePermission> mode) throws IOException {
        view(p).setPermissions(mode);
    }

    private static PosixFileAttributeView view(Path p) {
        return Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }
}
