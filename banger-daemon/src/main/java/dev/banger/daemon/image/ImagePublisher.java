package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.FileModes;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.KernelRows;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Where images and kernels enter (and leave) the store. Slow work happens before, in a staging
 * dir of {@link #newStagingDir} with no lock held; {@link #publish} is the commit atom under
 * {@code imageOpsMu}: check the names, rename the staging dirs into place, write the rows, and
 * rename back when the rows fail, so the images and kernels dirs always match the store.
 */
final class ImagePublisher {

    /** The publication window (and the lookup + reference check + row delete of deletes). Nothing slow. */
    private final ReentrantLock imageOpsMu = new ReentrantLock();
    private final Store store;
    private final Layout layout;

    /** A staging dir renamed to its final place by a publish. */
    record Move(Path from, Path to) {
    }

    /** The checks a publish makes before it moves anything (in its transaction, under the lock). */
    @FunctionalInterface
    interface Check {
        void check(Connection c) throws SQLException;
    }

    ImagePublisher(Store store, Layout layout) {
        this.store = store;
        this.layout = layout;
    }

    /** A fresh private directory under the state dir's staging dir; the caller deletes it when done. */
    Path newStagingDir(String prefix) {
        try {
            Files.createDirectories(layout.stagingDir());
            return Files.createTempDirectory(layout.stagingDir(), prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + layout.stagingDir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The commit atom, under imageOpsMu in one transaction: {@code check}, the {@code moves} in
     * order, {@code rows}. When a move or the rows fail, the moves made are undone in reverse (the
     * caller's staging cleanup then removes the files) and the transaction rolls back. A loser of a
     * same-name race fails in {@code check} with already_exists.
     */
    <T> T publish(Check check, List<Move> moves, Store.SqlWork<T> rows) {
        return underLock(c -> {
            check.check(c);
            List<Move> done = new ArrayList<>();
            try {
                for (Move m : moves) {
                    move(m.from(), m.to());
                    done.add(m);
                }
                return rows.apply(c);
            } catch (SQLException | RuntimeException e) {
                done.reversed().forEach(m -> move(m.to(), m.from()));
                throw e;
            }
        });
    }

    /** A change of rows alone (register, a delete's lookup and row delete): one write transaction under imageOpsMu. */
    <T> T underLock(Store.SqlWork<T> work) {
        imageOpsMu.lock();
        try {
            return store.write(work);
        } finally {
            imageOpsMu.unlock();
        }
    }

    /** {@code staging} (its files named relative in {@code draft}) as image {@code draft.name()}, in the images dir under its id. */
    ImageInfo publishImage(Path staging, ImageInfo draft) {
        Path dir = layout.imagesDir().resolve(draft.id());
        ImageInfo published = new ImageInfo(draft.id(), draft.name(), draft.source(), draft.digest(), draft.distro(),
                draft.arch(), dir.toString(), dir.resolve(draft.rootfsPath()).toString(),
                draft.workSeedPath() == null ? null : dir.resolve(draft.workSeedPath()).toString(),
                draft.kernelId(), draft.kernelName(), draft.managed(), draft.sizeBytes(), draft.createdAt());
        makePrivate(staging);
        return publish(c -> requireImageNameFree(c, draft.name()), List.of(new Move(staging, dir)), c -> {
            ImageRows.insert(c, published);
            return published;
        });
    }

    /** {@code staging} as kernel {@code k}, moved to {@code k.dir()}. */
    KernelInfo publishKernel(Path staging, KernelInfo k) {
        privateDirs(staging);
        return publish(c -> {
            if (KernelRows.byName(c, k.name()).isPresent()) {
                throw alreadyExists("kernel", k.name());
            }
        }, List.of(new Move(staging, Path.of(k.dir()))), c -> {
            KernelRows.insert(c, k);
            return k;
        });
    }

    /** Fails early (before slow work) when an image of that name exists; {@link #publish} checks again. */
    void requireImageNameFree(String name) {
        if (store.images().find(name).isPresent()) {
            throw alreadyExists("image", name);
        }
    }

    static void requireImageNameFree(Connection c, String name) throws SQLException {
        if (ImageRows.byName(c, name).isPresent()) {
            throw alreadyExists("image", name);
        }
    }

    static BangerException alreadyExists(String kind, String name) {
        return new BangerException(ErrorCode.ALREADY_EXISTS, kind + " '" + name + "' already exists (delete it first, or choose another --name)");
    }

    /**
     * An image dir is 0700 and its files (rootfs.ext4, work-seed.ext4: what a guest's disks start
     * from) 0600, whichever tool made them: mkfs.ext4, cp and friends create files by the daemon's umask.
     */
    static void makePrivate(Path imageDir) {
        FileModes.privateDir(imageDir);
        try (Stream<Path> files = Files.list(imageDir)) {
            files.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(FileModes::privateFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + imageDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A kernel's directories (its own, modules/...) are 0700; its files stay as made (0644), as
     * Firecracker's jailer hard-links vmlinux and initrd.img into a chroot where the jail's uid must
     * read them. The 0700 directories keep everyone else out.
     */
    private static void privateDirs(Path kernelDir) {
        try (Stream<Path> all = Files.walk(kernelDir)) {
            all.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(FileModes::privateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + kernelDir + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
