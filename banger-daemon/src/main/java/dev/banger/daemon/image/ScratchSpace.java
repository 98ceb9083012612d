package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a pull unpacks its layers before {@code mkfs.ext4 -d} reads them: a tmpfs when one has
 * room, else the staging dir. The tree is thrown away minutes later, and on a disk creating its
 * thousands of files (journaled metadata) is most of a pull's time.
 *
 * <p>/dev/shm is writable by every local user, so the daemon's directory there is made the
 * {@code mkdtemp} way: a random name, created exclusively, mode 0700, then checked (ours, a real
 * directory). No other user can then rename it (the sticky bit) nor touch anything inside it, so
 * the paths the flattener resolves below it cannot be swapped. It lives while this daemon has
 * trees in it; its name is recorded in the state dir meanwhile, so the next daemon on that state
 * dir removes what a crash left, and only if it is still ours.
 */
final class ScratchSpace {

    private static final Logger log = LoggerFactory.getLogger(ScratchSpace.class);
    static final Path SHM = Path.of("/dev/shm");
    /** Below this much free tmpfs a pull unpacks on disk: big images must not exhaust memory. */
    static final long MIN_FREE_BYTES = 4L << 30;
    static final String PREFIX = "banger-";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path tmpfs;
    private final long minFreeBytes;
    private final Path record;
    private Path memoryRoot; // guarded by this: made for the first tree, removed with the last
    private final Set<Path> liveTrees = new HashSet<>(); // guarded by this

    /**
     * @param tmpfs        the tmpfs to make the directory in, or null for none
     * @param minFreeBytes a tree goes on disk when the tmpfs has no more than this free
     * @param record       the state dir's file naming the directory, for the next daemon's cleanup
     */
    ScratchSpace(Path tmpfs, long minFreeBytes, Path record) {
        this.tmpfs = tmpfs;
        this.minFreeBytes = minFreeBytes;
        this.record = record;
    }

    /** /dev/shm when it is a tmpfs, for the state dir of {@code layout}. */
    static ScratchSpace forState(Layout layout) {
        return new ScratchSpace(isTmpfs(SHM) ? SHM : null, MIN_FREE_BYTES, layout.stateDir().resolve("tmpfs-scratch"));
    }

    /**
     * A fresh, empty directory for a flattened tree: in this daemon's tmpfs directory when there is
     * room, else {@code staging/tree}. Give it back with {@link #release}.
     */
    Path newTree(Path staging) throws IOException {
        if (tmpfs != null && Files.getFileStore(tmpfs).getUsableSpace() > minFreeBytes) {
            synchronized (this) {
                Path tree = Files.createTempDirectory(memoryRoot(), "tree-");
                liveTrees.add(tree);
                return tree;
            }
        }
        return Files.createDirectory(staging.resolve("tree"));
    }

    /**
     * Deletes {@code tree} (never following a link out of it); once no tree of this daemon is left
     * on the tmpfs, its directory there goes too, so an idle daemon holds no memory. Quiet (a
     * failure is logged) and idempotent: it runs in cleanup paths.
     */
    void release(Path tree) {
        try {
            FileTrees.delete(tree);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", tree, e.getMessage());
        }
        synchronized (this) {
            if (liveTrees.remove(tree) && liveTrees.isEmpty()) {
                try {
                    FileTrees.delete(memoryRoot);
                    Files.deleteIfExists(record);
                } catch (IOException e) {
                    log.warn("cannot remove {}: {}", memoryRoot, e.getMessage());
                }
                memoryRoot = null;
            }
        }
    }

    synchronized boolean inMemory(Path tree) {
        return liveTrees.contains(tree);
    }

    /** This daemon's directory on the tmpfs, or null while it has no tree there. */
    synchronized Path currentRoot() {
        return memoryRoot;
    }

    /** Made exclusively under a random name, checked, and recorded before any tree goes in. */
    private Path memoryRoot() throws IOException {
        if (memoryRoot == null) {
            Path dir = Files.createTempDirectory(tmpfs, PREFIX, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            if (!isOurs(dir)) { // a umask can only take bits away; anything else here is not ours to use
                throw new IOException(dir + " was not created as a private (0700) directory of uid " + ownUid());
            }
            Path tmp = record.resolveSibling(record.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.writeString(Files.createFile(tmp, FileModes.privateFile()), dir.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            memoryRoot = dir;
        }
        return memoryRoot;
    }

    /**
     * Removes the tmpfs directory an earlier daemon on this state dir recorded, when it is still
     * ours: right under the tmpfs, our prefix, a directory (not a link), owned by our uid, mode
     * 0700. After a reboot the name may have been taken by someone else; that is left alone.
     * Only safe under the state dir's lock (a live daemon's directory looks the same).
     */
    void removeLeftover() {
        if (!Files.exists(record, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Path dir = Path.of(Files.readString(record, StandardCharsets.UTF_8).strip());
            if (isOurs(dir)) {
                log.info("removing {} left by an earlier daemon", dir);
                FileTrees.delete(dir);
            } else if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                log.warn("not removing {}: not a private directory of uid {} in {}", dir, ownUid(), tmpfs);
            }
            Files.delete(record);
        } catch (IOException | RuntimeException e) {
            log.warn("cannot remove the tmpfs scratch dir named in {}: {}", record, e.getMessage());
        }
    }

    /** One lstat: once it says ours, no other user can rename or replace it (the tmpfs is sticky). */
    private boolean isOurs(Path dir) throws IOException {
        if (tmpfs == null || !tmpfs.equals(dir.getParent()) || !dir.getFileName().toString().startsWith(PREFIX)
                || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:isDirectory,mode,uid", LinkOption.NOFOLLOW_LINKS);
        return (Boolean) a.get("isDirectory") && ((Integer) a.get("mode") & 07777) == 0700 && (Integer) a.get("uid") == ownUid();
    }

    private static long ownUid() {
        return new com.sun.security.auth.module.UnixSystem().getUid();
    }

    private static boolean isTmpfs(Path dir) {
        try {
            return Files.isDirectory(dir) && Files.isWritable(dir) && "tmpfs".equals(Files.getFileStore(dir).type());
        } catch (IOException e) {
            log.debug("{} not usable as scratch space: {}", dir, e.getMessage());
            return false;
        }
    }
}
