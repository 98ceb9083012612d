package dev.banger.daemon.image.rootfs;

import dev.banger.core.rpc.BangerException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies an untrusted image's {@code /root} out with {@link Ext4Reader}, as root, safely:
 * <ul>
 * <li>a name that is empty, {@code .} or {@code ..} (beyond a directory's own two), or holds
 *     {@code /} or NUL refuses the whole extraction (ext4 never writes one: the image is crafted);</li>
 * <li>everything is created new ({@code O_EXCL}) inside directories this extraction created, so no
 *     name reaches outside and no existing file or link is written through; a name that appears
 *     twice refuses;</li>
 * <li>symbolic links are recreated as links (their targets are data, never followed); regular
 *     files, directories and links are extracted, devices, pipes and sockets skipped with a warning;</li>
 * <li>permission bits, owners and mtimes are kept, setuid, setgid and sticky bits dropped; holes stay holes;</li>
 * <li>a directory reached twice (a loop), depth, entry count and total file size are capped
 *     ({@link Limits}), so a huge sparse file cannot fill the host.</li>
 * </ul>
 * An image whose {@code /root} is a symbolic link is refused (nothing is followed): its VMs start
 * with an empty {@code /root}, like any image without a work-seed.
 */
public final class Ext4Extractor {

    private static final Logger log = LoggerFactory.getLogger(Ext4Extractor.class);
    private static final int COPY_CHUNK = 1 << 20;

    /** Caps on what one extraction may create: total regular-file size (logical, holes count), entries, depth. */
    public record Limits(long maxFileBytes, long maxEntries, int maxDepth) {

        /** Far above any home directory a base image ships, far below a host's disk. */
        public static final Limits DEFAULT = new Limits(16L << 30, 1_000_000, 256);
    }

    private final Limits limits;
    private final boolean keepOwners;

    /** {@code keepOwners}: copy uid and gid (only root may; an unprivileged daemon's files are its own). */
    public Ext4Extractor(Limits limits, boolean keepOwners) {
        this.limits = limits;
        this.keepOwners = keepOwners;
    }

    /**
     * Copies the image's {@code /root} to {@code dir/root}; {@code dir} is a fresh directory the
     * caller created. Throws {@link BangerException} (not found) when the image has no
     * {@code /root} directory, {@link Ext4FormatException} for a corrupt or hostile image,
     * {@link Ext4ExtractException} for a cap or a symlinked {@code /root}.
     */
    public void extractRoot(Path image, Path dir) throws IOException {
        try (Ext4Reader reader = Ext4Reader.open(image)) {
            Ext4Reader.Inode top = reader.inode(Ext4Reader.ROOT_INODE);
            if (!top.isDirectory()) {
                throw new Ext4FormatException("ext4 image " + image.getFileName() + ": inode 2, the root directory, is a "
                        + top.typeName());
            }
            long[] found = {0};
            reader.forEachEntry(top, e -> {
                if (new String(e.name(), StandardCharsets.UTF_8).equals("root")) {
                    found[0] = e.inode();
                }
            });
            if (found[0] == 0) {
                throw BangerException.notFound("the image has no /root directory to seed the work disk from");
            }
            Ext4Reader.Inode root = reader.inode(found[0]);
            if (root.isSymlink()) {
                throw new Ext4ExtractException("the image's /root is a symbolic link (to '"
                        + new String(reader.symlinkTarget(root), StandardCharsets.UTF_8)
                        + "'); it is not followed, so there is no /root to seed the work disk from");
            }
            if (!root.isDirectory()) {
                throw BangerException.notFound("the image's /root is a " + root.typeName()
                        + ", not a directory to seed the work disk from");
            }
            new Run(reader, image).extract(root, dir.resolve("root"));
        }
    }

    private record Subdirectory(Ext4Reader.Inode inode, Path target, String shown) {
    }

    /** The state of one extraction: what was made so far, against the limits. */
    private final class Run {
        private final Ext4Reader reader;
        private final String image;
        private final Set<Long> directories = new HashSet<>();
        private final Map<Long, Path> hardLinked = new HashMap<>();
        private long fileBytes;
        private long entries;

        Run(Ext4Reader reader, Path image) {
            this.reader = reader;
            this.image = String.valueOf(image.getFileName());
        }

        void extract(Ext4Reader.Inode root, Path target) throws IOException {
            directories.add(root.number());
            Files.createDirectory(target);
            directory(root, target, "/root", 1);
        }

        private void directory(Ext4Reader.Inode dir, Path target, String shown, int depth) throws IOException {
            boolean[] dots = new boolean[2];
            List<Subdirectory> subdirs = new ArrayList<>(); // entered after this listing: one directory read at a time
            reader.forEachEntry(dir, e -> {
                String raw = e.displayName();
                if (raw.equals(".") && !dots[0] && e.inode() == dir.number()) {
                    dots[0] = true;
                    return;
                }
                if (raw.equals("..") && !dots[1]) {
                    dots[1] = true;
                    return;
                }
                requireSafeName(e, shown);
                if (++entries > limits.maxEntries()) {
                    throw new Ext4ExtractException("the image's /root holds more than " + limits.maxEntries()
                            + " entries (the cap on entries extracted; reached at " + shown + "/" + raw + ")");
                }
                String name = utf8(e.name());
                Path child = name == null ? null : resolve(target, name);
                if (child == null) {
                    log.warn("image {}: skipped {}/{}: the name is not UTF-8 or cannot be represented on this host",
                            image, shown, raw);
                    return;
                }
                String path = shown + "/" + name;
                Ext4Reader.Inode inode = reader.inode(e.inode());
                try {
                    if (inode.isDirectory()) {
                        if (!directories.add(inode.number())) {
                            throw new Ext4FormatException("ext4 image " + image + ": directory " + path + " (inode "
                                    + inode.number() + ") is reached a second time: a directory loop");
                        }
                        if (depth >= limits.maxDepth()) {
                            throw new Ext4ExtractException("the image's /root is nested deeper than " + limits.maxDepth()
                                    + " directories (the cap on depth; reached at " + path + ")");
                        }
                        Files.createDirectory(child);
                        subdirs.add(new Subdirectory(inode, child, path));
                    } else if (inode.isRegularFile()) {
                        regularFile(inode, child, path);
                    } else if (inode.isSymlink()) {
                        String link = utf8(reader.symlinkTarget(inode));
                        Path linkTarget = link == null ? null : resolve(Path.of(""), link);
                        if (linkTarget == null) {
                            log.warn("image {}: skipped {}: its target is not UTF-8 or cannot be represented on this host",
                                    image, path);
                            return;
                        }
                        Files.createSymbolicLink(child, linkTarget);
                        attributes(inode, child, false);
                    } else {
                        log.warn("image {}: skipped {}: a {} (only regular files, directories and symbolic links are "
                                + "copied to the work-seed)", image, path, inode.typeName());
                    }
                } catch (FileAlreadyExistsException twice) {
                    throw new Ext4FormatException("ext4 image " + image + ": " + path + " appears twice in its directory");
                }
            });
            for (Subdirectory sub : subdirs) {
                directory(sub.inode(), sub.target(), sub.shown(), depth + 1);
            }
            attributes(dir, target, true);
        }

        private void requireSafeName(Ext4Reader.DirEntry e, String shown) {
            byte[] n = e.name();
            boolean dotName = (n.length == 1 && n[0] == '.') || (n.length == 2 && n[0] == '.' && n[1] == '.');
            boolean bad = n.length == 0 || dotName;
            for (byte c : n) {
                bad |= c == '/' || c == 0;
            }
            if (bad) {
                throw new Ext4FormatException("ext4 image " + image + ": directory " + shown + " holds an entry named '"
                        + e.displayName() + "' (inode " + e.inode() + "); a name must not be empty, '.' or '..', "
                        + "or contain '/' or NUL: the image is crafted, nothing of it is extracted");
            }
        }

        private void regularFile(Ext4Reader.Inode inode, Path target, String path) throws IOException {
            Path first = hardLinked.get(inode.number());
            if (first != null) {
                Files.createLink(target, first);
                return;
            }
            fileBytes += inode.size();
            if (inode.size() > limits.maxFileBytes() || fileBytes > limits.maxFileBytes()) {
                throw new Ext4ExtractException("the image's /root holds more than " + limits.maxFileBytes()
                        + " bytes (" + (limits.maxFileBytes() >> 30) + " GiB) of files (the cap on file content extracted, holes included; reached at " + path
                        + ", " + inode.size() + " bytes)");
            }
            long end = 0;
            try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                for (Ext4Reader.Extent e : reader.extents(inode)) {
                    long start = e.logical() * reader.blockSize();
                    long bytes = Math.min(e.length() * reader.blockSize(), inode.size() - start);
                    for (long done = 0; done < bytes; ) {
                        int n = (int) Math.min(COPY_CHUNK, bytes - done);
                        ByteBuffer chunk = reader.data(e, done, n);
                        while (chunk.hasRemaining()) {
                            out.write(chunk, start + done + chunk.position());
                        }
                        done += n;
                    }
                    end = start + bytes;
                }
                if (end < inode.size()) {
                    out.write(ByteBuffer.allocate(1), inode.size() - 1); // a trailing hole: only the last block is written
                }
            }
            attributes(inode, target, true);
            if (inode.links() > 1) {
                hardLinked.put(inode.number(), target);
            }
        }

        /** Owner first (chown clears setuid bits anyway), then permissions, then mtime; never through a link. */
        private void attributes(Ext4Reader.Inode inode, Path target, boolean withMode) throws IOException {
            if (keepOwners) {
                Files.setAttribute(target, "unix:uid", (int) inode.uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(target, "unix:gid", (int) inode.gid(), LinkOption.NOFOLLOW_LINKS);
            }
            if (withMode) {
                Files.setPosixFilePermissions(target, permissions(inode.mode()));
            }
            FileTime mtime = FileTime.from(Instant.ofEpochSecond(inode.mtimeSeconds(), inode.mtimeNanos()));
            Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(mtime, null, null);
        }
    }

    private static Path resolve(Path dir, String name) {
        try {
            return dir.resolve(name);
        } catch (InvalidPathException notEncodable) {
            return null;
        }
    }

    /** The name as text, or null when its bytes are not UTF-8 (decoding would silently rename it). */
    private static String utf8(byte[] name) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(name)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                p.add(bits[i]);
            }
        }
        return p;
    }
}
