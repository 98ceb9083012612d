package dev.banger.daemon.image.layers;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.banger.core.config.UnpackLimits;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.units.Sizes;
import dev.banger.daemon.fs.FileTrees;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies OCI image layers, oldest first, into a staging directory that {@code mkfs.ext4 -d} later
 * turns into the rootfs: regular files (content, mode with setuid/setgid/sticky bits, mtime),
 * directories, symlinks (targets are data, never followed), hard links, ownership, and the OCI
 * whiteouts ({@code .wh.NAME}, {@code .wh..wh..opq}). Device nodes and fifos are counted, never
 * created. What a plain directory cannot carry (xattrs; ownership when the daemon is not root) is
 * returned as {@link Fixup}s.
 *
 * <p>Security: a hostile image can write, delete, chmod, chown or link nothing outside the root.
 * Names with {@code ..} or a leading "/" are rejected; every ancestor directory of an entry is
 * checked with lstat and an ancestor that is a symbolic link (planted by this or an earlier layer)
 * rejects the layer; files are created with CREATE_NEW and NOFOLLOW_LINKS after the old entry is
 * deleted (never written through); recursive deletes never follow links; a hard link must name an
 * existing regular file inside the root. Rejections are {@link ErrorCode#BAD_REQUEST} and name the
 * layer and the entry. A failed layer leaves the staging directory in an unknown state: the caller
 * deletes it (and this flattener refuses further work).
 *
 * <p>Directory modes and mtimes are set in {@link #finish()} (children first), so later entries
 * neither change those mtimes nor trip over a read-only directory. Not thread-safe: one flattener,
 * one thread. Interrupting the thread stops it between entries with {@link ErrorCode#CANCELLED}.
 */
public final class LayerFlattener {

    private static final Logger log = LoggerFactory.getLogger(LayerFlattener.class);

    private static final int TRANSFER_BUFFER = 256 * 1024;
    private static final String WHITEOUT = ".wh.";
    /** aufs bookkeeping such as .wh..wh.plnk: not part of the image. */
    private static final String WHITEOUT_META = ".wh..wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int IMPLICIT_DIR_MODE = 0755;
    private static final int MAX_XATTR_VALUE = 64 * 1024;
    private static final String XATTR_PAX_PREFIX = "SCHILY.xattr.";
    /** Names debugfs and the kernel accept, in a namespace ext4 stores; nothing a script could trip on. */
    private static final Pattern XATTR_NAME = Pattern.compile("(security|system|trusted|user)\\.[A-Za-z0-9._@+:-]{1,200}");
    private static final Pattern DIGEST = Pattern.compile("([a-z0-9]+):([0-9a-f]{32,})");
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final Set<OpenOption> CREATE_FILE =
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);

    private final Path root;
    private final boolean applyOwnership;
    private final UnpackLimits limits;
    /** Over all layers: decompressed bytes read plus the holes of sparse files, and entries made. */
    private long unpackedBytes;
    private long unpackedEntries;
    private String layerDigest = "";
    /** Owner and group that new entries get without a chown (the daemon's, or a setgid root's group). */
    private final int ownUid;
    private final int ownGid;
    private final byte[] buffer = new byte[TRANSFER_BUFFER];

    /** By relative path; removed with the entry (and everything under it). */
    private final TreeMap<String, Fixup> fixups = new TreeMap<>();
    /** Directory modes and mtimes, applied by finish(). */
    private final TreeMap<String, DirAttrs> dirAttrs = new TreeMap<>();
    /**
     * Relative paths known to be real directories whose ancestors are real directories too. Cleared
     * whenever a directory is deleted (that is the only way one can turn into a symlink or a file).
     */
    private final Set<String> verifiedDirs = new HashSet<>();
    /** What the current layer created, and their ancestors: what an opaque marker keeps. */
    private final Set<String> layerEntries = new HashSet<>();
    private final Set<String> layerAncestors = new HashSet<>();

    private long skippedSpecial;
    private boolean anyHardlink;
    private String layer = "";
    private boolean broken;
    private boolean finished;

    private record DirAttrs(int mode, FileTime mtime) {
    }

    private enum Lookup {
        /** Create missing directories (entries being written). */
        CREATE,
        /** Missing or not a directory: nothing there (whiteouts, hard link targets). */
        EXISTING
    }

    /**
     * @param root           an existing, empty staging directory (not a symbolic link)
     * @param applyOwnership chown entries to the image's uid/gid (the daemon runs as root); when
     *                       false, ownership that differs from the daemon's is returned as fixups
     */
    public LayerFlattener(Path root, boolean applyOwnership) {
        this(root, applyOwnership, UnpackLimits.defaults());
    }

    /**
     * @param limits caps on the whole image (all layers applied through this flattener): a layer
     *               that passes one is refused with BAD_REQUEST naming the cap and the layer
     */
    public LayerFlattener(Path root, boolean applyOwnership, UnpackLimits limits) {
        this.root = root.toAbsolutePath().normalize();
        this.applyOwnership = applyOwnership;
        this.limits = Objects.requireNonNull(limits, "limits");
        try {
            BasicFileAttributes a = Files.readAttributes(this.root, BasicFileAttributes.class, NOFOLLOW);
            if (!a.isDirectory()) {
                throw new IllegalArgumentException("image root " + root + " is not a directory");
            }
            try (DirectoryStream<Path> children = Files.newDirectoryStream(this.root)) {
                if (children.iterator().hasNext()) {
                    throw new IllegalArgumentException("image root " + root + " is not empty");
                }
            }
            // Whatever a new entry gets without a chown: the effective uid, and the effective gid or
            // the group of a setgid root.
            Path probe = this.root.resolve(".banger-owner-probe");
            Files.createDirectory(probe);
            try {
                ownUid = (Integer) Files.getAttribute(probe, "unix:uid", NOFOLLOW);
                ownGid = (Integer) Files.getAttribute(probe, "unix:gid", NOFOLLOW);
            } finally {
                Files.delete(probe);
            }
            // Until a layer says otherwise the root is like any implicit directory: root:root 0755.
            ownership(this.root, "", 0, 0, Map.of(), false);
            dirAttrs.put("", new DirAttrs(IMPLICIT_DIR_MODE, null));
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED,
                    "cannot prepare the image root " + root + ": " + describe(e), e);
        }
    }

    /**
     * Applies one layer blob (gzip, zstd or plain tar, told apart by magic bytes). Does not close
     * {@code blob}.
     *
     * @param layerName for messages, e.g. the layer's digest (shown abbreviated)
     * @throws BangerException BAD_REQUEST for a hostile, corrupt or truncated layer, OPERATION_FAILED
     *                         when the staging directory cannot be written, CANCELLED on interrupt
     */
    public void apply(InputStream blob, String layerName) {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(layerName, "layerName");
        if (finished) {
            throw new IllegalStateException("finish() was already called");
        }
        if (broken) {
            throw new IllegalStateException("an earlier layer failed; the staging directory must be discarded");
        }
        layer = display(layerName);
        layerDigest = clean(layerName);
        verifiedDirs.clear();
        layerEntries.clear();
        layerAncestors.clear();
        broken = true;
        InputStream source = new BufferedInputStream(new FilterInputStream(blob) {
            @Override
            public void close() {
                // The caller's stream: the caller closes it.
            }
        }, TRANSFER_BUFFER);
        String format = "tar";
        InputStream data = null;
        try {
            try {
                format = detect(source);
                data = new Metered(decompress(source, format));
            } catch (IOException | RuntimeException e) {
                throw corrupt(format, e);
            }
            LayerTarInputStream tar = new LayerTarInputStream(data);
            TarArchiveEntry entry;
            while ((entry = next(tar, format)) != null) {
                if (Thread.currentThread().isInterrupted()) {
                    throw cancelled();
                }
                applyEntry(tar, entry, format);
            }
            // The rest of the stream (tar padding, the gzip/zstd trailer): a truncated or corrupt
            // compressed stream shows up here even when the tar's end marker arrived intact.
            while (read(data, format) >= 0) {
                // discard
            }
        } finally {
            closeQuietly(data != null ? data : source);
        }
        broken = false;
    }

    /**
     * Sets directory modes and mtimes (deepest first), counts the tree and returns the fixups.
     * The flattener is done afterwards.
     */
    public FlattenResult finish() {
        if (finished) {
            throw new IllegalStateException("finish() was already called");
        }
        if (broken) {
            throw new IllegalStateException("a layer failed; the staging directory must be discarded");
        }
        finished = true;
        Tally t = new Tally();
        try {
            Files.walkFileTree(root, Set.of(), Integer.MAX_VALUE, t);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED,
                    "cannot finish the image tree in " + root + ": " + describe(e), e);
        }
        return new FlattenResult(t.files, t.directories, t.symlinks, t.hardlinks, skippedSpecial, t.bytes,
                t.files + t.directories + t.symlinks, new ArrayList<>(fixups.values()));
    }

    private final class Tally extends SimpleFileVisitor<Path> {
        private final Set<Object> inodes = new HashSet<>();
        long files;
        long directories;
        long symlinks;
        long hardlinks;
        long bytes;

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (!dir.equals(root)) {
                directories++;
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
                if (!anyHardlink || inodes.add(attrs.fileKey())) {
                    files++;
                    bytes += attrs.size();
                } else {
                    hardlinks++;
                }
            } else if (attrs.isSymbolicLink()) {
                symlinks++;
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
                throw e;
            }
            DirAttrs d = dirAttrs.get(dir.equals(root) ? "" : root.relativize(dir).toString());
            if (d != null) {
                Files.setAttribute(dir, "unix:mode", d.mode, NOFOLLOW);
                times(dir, d.mtime);
            }
            return FileVisitResult.CONTINUE;
        }
    }

    // ---- one entry ----------------------------------------------------------------------------

    /** Reads go through here and next(): whatever goes wrong reading the blob is a corrupt layer. */
    private int read(InputStream in, String format) {
        try {
            return in.read(buffer, 0, buffer.length);
        } catch (BangerException e) {
            throw e; // an unpack cap, not a corrupt layer
        } catch (IOException | RuntimeException e) { // zstd-jni throws ZstdException, a RuntimeException
            throw corrupt(format, e);
        }
    }

    private TarArchiveEntry next(LayerTarInputStream tar, String format) {
        try {
            return tar.getNextEntry();
        } catch (BangerException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupt(format, e);
        }
    }

    private void applyEntry(LayerTarInputStream tar, TarArchiveEntry e, String format) {
        String raw = tar.rawPath() != null ? tar.rawPath() : e.getName();
        try {
            String[] comps = components(raw, raw, "");
            String rel = String.join("/", comps);
            String last = comps.length == 0 ? "" : comps[comps.length - 1];
            for (int i = 0; i < comps.length - 1; i++) {
                if (comps[i].startsWith(WHITEOUT)) {
                    throw bad(raw, "uses the whiteout name '" + comps[i] + "' as a directory");
                }
            }
            if (last.startsWith(WHITEOUT)) {
                String[] parent = Arrays.copyOf(comps, comps.length - 1);
                if (last.equals(OPAQUE)) {
                    opaque(parent, raw);
                } else if (!last.startsWith(WHITEOUT_META)) {
                    String hidden = last.substring(WHITEOUT.length());
                    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                        throw bad(raw, "is a whiteout of '" + hidden + "', which is not a name");
                    }
                    whiteout(parent, hidden, raw);
                }
                return;
            }
            if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                skippedSpecial++;
                return;
            }
            if (comps.length == 0 && !e.isDirectory()) {
                throw bad(raw, "would replace the image root, which must stay a directory");
            }
            if (++unpackedEntries > limits.maxEntries()) {
                throw overCap("more than " + limits.maxEntries() + " files, directories and links",
                        "max_unpacked_image_entries");
            }
            int uid = id(e.getLongUserId(), raw, "uid");
            int gid = id(e.getLongGroupId(), raw, "gid");
            int mode = e.getMode() & 07777;
            FileTime mtime = e.getLastModifiedTime();
            Map<String, byte[]> xattrs = xattrs(tar.paxRecords(), raw);
            if (e.isSymbolicLink()) {
                symlink(comps, rel, raw, e.getLinkName(), uid, gid, mtime, xattrs);
            } else if (e.isLink()) {
                hardlink(comps, rel, raw, e.getLinkName());
            } else if (e.isDirectory()) {
                directory(comps, rel, raw, uid, gid, mode, mtime, xattrs);
            } else if (isRegular(e)) {
                regular(tar, e, comps, rel, raw, uid, gid, mode, mtime, xattrs, format);
            } else {
                throw bad(raw, "has the unsupported tar entry type '" + clean(String.valueOf((char) e.getLinkFlag())) + "'");
            }
        } catch (InvalidPathException ex) {
            String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
            if (!encoding.equalsIgnoreCase("UTF-8") && !encoding.equalsIgnoreCase("UTF8")) {
                // The JVM maps file names through the locale's charset: under LANG=C only ASCII names work.
                throw new BangerException(ErrorCode.OPERATION_FAILED, "layer " + layer + ": entry '" + clean(raw)
                        + "' cannot be created: bangerd's file name encoding is " + encoding
                        + "; run it with LANG=C.UTF-8", ex);
            }
            throw bad(raw, "is not a usable file name: " + ex.getReason());
        } catch (ClosedByInterruptException ex) {
            throw cancelled();
        } catch (IOException ex) {
            throw new BangerException(ErrorCode.OPERATION_FAILED,
                    "layer " + layer + ": entry '" + clean(raw) + "' cannot be written: " + describe(ex), ex);
        }
    }

    private static boolean isRegular(TarArchiveEntry e) {
        byte flag = e.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM
                || flag == TarConstants.LF_CONTIG || e.isSparse();
    }

    private void regular(LayerTarInputStream tar, TarArchiveEntry e, String[] comps, String rel, String raw,
                         int uid, int gid, int mode, FileTime mtime, Map<String, byte[]> xattrs, String format)
            throws IOException {
        long expected = e.isSparse() ? e.getRealSize() : e.getSize();
        if (expected > e.getSize()) {
            chargeBytes(expected - e.getSize()); // a sparse file's holes come out of no compressed byte
        }
        Path p = prepare(comps, rel, raw);
        long written = 0;
        try (FileChannel ch = createFile(rel, p)) {
            while (true) {
                int n = read(tar, format);
                if (n < 0) {
                    break;
                }
                ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                written += n;
            }
        }
        if (written != expected) {
            throw bad(raw, "is truncated: " + written + " of " + expected + " bytes");
        }
        ownership(p, rel, uid, gid, xattrs, true);
        Files.setAttribute(p, "unix:mode", mode, NOFOLLOW);
        times(p, mtime);
        created(rel);
    }

    private FileChannel createFile(String rel, Path p) throws IOException {
        try {
            return FileChannel.open(p, CREATE_FILE);
        } catch (FileAlreadyExistsException x) {
            // Never write through: the old entry may be a symlink or another name of a lower inode.
            removeExisting(rel, p);
            return FileChannel.open(p, CREATE_FILE);
        }
    }

    private void directory(String[] comps, String rel, String raw, int uid, int gid, int mode, FileTime mtime,
                           Map<String, byte[]> xattrs) throws IOException {
        if (rel.isEmpty()) {
            ownership(root, "", uid, gid, xattrs, false);
            dirAttrs.put("", new DirAttrs(mode, mtime));
            return;
        }
        Path p = prepare(comps, rel, raw);
        boolean fresh = true;
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException x) {
            BasicFileAttributes a = lstat(p);
            if (a != null && a.isDirectory()) {
                fresh = false; // an update: mode, owner, mtime; the contents stay
            } else {
                removeExisting(rel, p);
                Files.createDirectory(p);
            }
        }
        ownership(p, rel, uid, gid, xattrs, fresh);
        dirAttrs.put(rel, new DirAttrs(mode, mtime));
        verifiedDirs.add(rel); // its ancestors were verified by prepare()
        created(rel);
    }

    private void symlink(String[] comps, String rel, String raw, String target, int uid, int gid, FileTime mtime,
                         Map<String, byte[]> xattrs) throws IOException {
        if (target == null || target.isEmpty()) {
            throw bad(raw, "is a symbolic link with an empty target");
        }
        Path t = Path.of(target); // data only: never resolved
        Path p = prepare(comps, rel, raw);
        try {
            Files.createSymbolicLink(p, t);
        } catch (FileAlreadyExistsException x) {
            removeExisting(rel, p);
            Files.createSymbolicLink(p, t);
        }
        ownership(p, rel, uid, gid, xattrs, true);
        times(p, mtime);
        created(rel);
    }

    private void hardlink(String[] comps, String rel, String raw, String target) throws IOException {
        String which = "links to '" + clean(target) + "', which ";
        String[] tc = components(target, raw, which);
        if (tc.length == 0) {
            throw bad(raw, which + "is the image root");
        }
        String targetRel = String.join("/", tc);
        if (!ensureDirs(tc, tc.length - 1, raw, Lookup.EXISTING, which)) {
            throw bad(raw, which + "does not exist");
        }
        Path tp = root.resolve(targetRel);
        BasicFileAttributes ta = lstat(tp);
        if (ta == null) {
            throw bad(raw, which + "does not exist");
        }
        if (ta.isSymbolicLink()) {
            throw bad(raw, which + "is a symbolic link");
        }
        if (!ta.isRegularFile()) {
            throw bad(raw, which + "is not a regular file");
        }
        if (targetRel.equals(rel)) {
            created(rel);
            return;
        }
        if (targetRel.startsWith(rel + "/")) {
            throw bad(raw, which + "is inside the entry itself");
        }
        Path p = prepare(comps, rel, raw);
        try {
            Files.createLink(p, tp);
        } catch (FileAlreadyExistsException x) {
            removeExisting(rel, p);
            Files.createLink(p, tp);
        }
        anyHardlink = true;
        // Ownership and xattrs belong to the inode; repeat them under this name in case a later
        // layer deletes the first one.
        Fixup f = fixups.get(targetRel);
        if (f != null) {
            fixups.put(rel, f.at(rel));
        }
        created(rel);
    }

    private void whiteout(String[] parent, String hidden, String raw) throws IOException {
        if (!ensureDirs(parent, parent.length, raw, Lookup.EXISTING, "")) {
            return; // no such directory: nothing to hide
        }
        String rel = parent.length == 0 ? hidden : String.join("/", parent) + "/" + hidden;
        Path p = root.resolve(rel);
        BasicFileAttributes a = lstat(p);
        if (a == null) {
            return;
        }
        if (layerEntries.contains(rel) || layerAncestors.contains(rel)) {
            // A whiteout hides lower layers only: keep what this layer put there.
            if (a.isDirectory()) {
                removeLower(rel, p);
            }
        } else {
            removeExisting(rel, p);
        }
    }

    private void opaque(String[] dir, String raw) throws IOException {
        if (!ensureDirs(dir, dir.length, raw, Lookup.EXISTING, "")) {
            return;
        }
        String rel = String.join("/", dir);
        removeLower(rel, rel.isEmpty() ? root : root.resolve(rel));
    }

    /** Deletes what lower layers put under dir, keeping this layer's entries (and their parents). */
    private void removeLower(String rel, Path dir) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        for (Path child : children) {
            String name = child.getFileName().toString();
            String childRel = rel.isEmpty() ? name : rel + "/" + name;
            boolean entry = layerEntries.contains(childRel);
            if (!entry && !layerAncestors.contains(childRel)) {
                removeExisting(childRel, child);
                continue;
            }
            BasicFileAttributes a = lstat(child);
            if (a != null && a.isDirectory()) {
                removeLower(childRel, child);
            } else if (!entry) {
                removeExisting(childRel, child);
            }
        }
    }

    // ---- paths --------------------------------------------------------------------------------

    /**
     * The entry's path components: "." and empty ones dropped; ".." or a leading "/" rejected.
     *
     * @param which for hard link targets: "links to 'x', which " (the message names the entry)
     */
    private String[] components(String name, String raw, String which) {
        if (name.startsWith("/")) {
            throw bad(raw, which + "escapes the image root (an absolute path)");
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw bad(raw, which + "escapes the image root");
            }
            out.add(c);
        }
        return out.toArray(String[]::new);
    }

    /** Verifies (and creates) the entry's ancestors, returns its path. */
    private Path prepare(String[] comps, String rel, String raw) throws IOException {
        ensureDirs(comps, comps.length - 1, raw, Lookup.CREATE, "");
        return root.resolve(rel);
    }

    /**
     * Checks that comps[0..n) are real directories under the root, from the top, never following a
     * symbolic link (one is a rejection). CREATE makes missing ones; EXISTING returns false for a
     * missing one or a non-directory.
     */
    private boolean ensureDirs(String[] comps, int n, String raw, Lookup lookup, String which) throws IOException {
        if (n <= 0 || verifiedDirs.contains(join(comps, n))) {
            return true;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(comps[i]);
            String r = sb.toString();
            if (verifiedDirs.contains(r)) {
                continue;
            }
            Path p = root.resolve(r);
            BasicFileAttributes a = lstat(p);
            if (a == null) {
                if (lookup == Lookup.EXISTING) {
                    return false;
                }
                Files.createDirectory(p);
                ownership(p, r, 0, 0, Map.of(), true);
                dirAttrs.put(r, new DirAttrs(IMPLICIT_DIR_MODE, null));
            } else if (a.isSymbolicLink()) {
                throw bad(raw, which + "goes through the symbolic link '" + clean(r) + "'");
            } else if (!a.isDirectory()) {
                if (lookup == Lookup.EXISTING) {
                    return false;
                }
                throw bad(raw, which + "needs '" + clean(r) + "' to be a directory, but it is not");
            }
            verifiedDirs.add(r);
        }
        return true;
    }

    private static String join(String[] comps, int n) {
        if (n == 1) {
            return comps[0];
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(comps[i]);
        }
        return sb.toString();
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Deletes whatever is at rel (recursively, never following links) and what was noted for it. */
    private void removeExisting(String rel, Path p) throws IOException {
        if (rel.isEmpty()) {
            throw new IllegalStateException("never deletes the image root");
        }
        BasicFileAttributes a = lstat(p);
        if (a == null) {
            return;
        }
        if (a.isDirectory()) {
            verifiedDirs.clear();
        }
        FileTrees.delete(p);
        forget(fixups, rel);
        forget(dirAttrs, rel);
    }

    private static void forget(TreeMap<String, ?> byPath, String rel) {
        byPath.remove(rel);
        // Every "rel/..." sorts between "rel/" and "rel0" ('0' follows '/').
        byPath.subMap(rel + "/", true, rel + "0", false).clear();
    }

    private void created(String rel) {
        layerEntries.add(rel);
        for (int slash = rel.lastIndexOf('/'); slash > 0; ) {
            String ancestor = rel.substring(0, slash);
            if (!layerAncestors.add(ancestor)) {
                break;
            }
            slash = ancestor.lastIndexOf('/');
        }
    }

    // ---- attributes ---------------------------------------------------------------------------

    /**
     * Chowns (chown before chmod: it clears setuid bits) or records the ownership as a fixup, and
     * records xattrs. {@code fresh}: the entry was just created, so it has the daemon's owner.
     */
    private void ownership(Path p, String rel, int uid, int gid, Map<String, byte[]> xattrs, boolean fresh)
            throws IOException {
        boolean differs = uid != ownUid || gid != ownGid;
        if (applyOwnership) {
            if (!fresh || uid != ownUid) {
                Files.setAttribute(p, "unix:uid", uid, NOFOLLOW);
            }
            if (!fresh || gid != ownGid) {
                Files.setAttribute(p, "unix:gid", gid, NOFOLLOW);
            }
        }
        boolean recordOwner = !applyOwnership && differs;
        if (recordOwner || !xattrs.isEmpty()) {
            fixups.put(rel, new Fixup(rel.isEmpty() ? "." : rel, recordOwner ? uid : null, recordOwner ? gid : null,
                    xattrs));
        } else {
            fixups.remove(rel);
        }
    }

    private static void times(Path p, FileTime mtime) throws IOException {
        if (mtime != null) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, mtime, null);
        }
    }

    private Map<String, byte[]> xattrs(Map<String, byte[]> pax, String raw) {
        Map<String, byte[]> out = null;
        for (Map.Entry<String, byte[]> r : pax.entrySet()) {
            if (!r.getKey().startsWith(XATTR_PAX_PREFIX)) {
                continue;
            }
            String name = r.getKey().substring(XATTR_PAX_PREFIX.length());
            if (!XATTR_NAME.matcher(name).matches() || r.getValue().length > MAX_XATTR_VALUE) {
                log.warn("layer {}: entry '{}': ignoring the extended attribute '{}' ({} bytes)",
                        layer, clean(raw), clean(name), r.getValue().length);
                continue;
            }
            if (out == null) {
                out = new HashMap<>();
            }
            out.put(name, r.getValue());
        }
        return out == null ? Map.of() : out;
    }

    private int id(long value, String raw, String what) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw bad(raw, "has an out-of-range " + what + " " + value);
        }
        return (int) value;
    }

    // ---- streams ------------------------------------------------------------------------------

    /** The decompressed layer, each byte charged against {@link UnpackLimits#maxBytes()} as it is read. */
    private final class Metered extends FilterInputStream {
        Metered(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                chargeBytes(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                chargeBytes(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            if (skipped > 0) {
                chargeBytes(skipped);
            }
            return skipped;
        }
    }

    private void chargeBytes(long n) {
        unpackedBytes += n;
        if (unpackedBytes > limits.maxBytes()) {
            throw overCap("more than " + Sizes.format(limits.maxBytes()) + " (" + limits.maxBytes() + " bytes)",
                    "max_unpacked_image_size");
        }
    }

    private static String detect(InputStream source) throws IOException {
        source.mark(4);
        byte[] magic = source.readNBytes(4);
        source.reset();
        if (magic.length == 0) {
            throw new IOException("the blob is empty");
        }
        if (magic.length >= 2 && magic[0] == 0x1f && magic[1] == (byte) 0x8b) {
            return "gzip";
        }
        if (magic.length == 4 && magic[0] == 0x28 && magic[1] == (byte) 0xb5 && magic[2] == 0x2f
                && magic[3] == (byte) 0xfd) {
            return "zstd";
        }
        return "tar";
    }

    private static InputStream decompress(InputStream source, String format) throws IOException {
        return switch (format) {
            case "gzip" -> new BufferedInputStream(new GZIPInputStream(source, 64 * 1024), 64 * 1024);
            case "zstd" -> new BufferedInputStream(new ZstdInputStreamNoFinalizer(source), 64 * 1024);
            default -> source;
        };
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // reading is over; a close failure changes nothing on disk
        }
    }

    // ---- messages -----------------------------------------------------------------------------

    private BangerException bad(String raw, String what) {
        return new BangerException(ErrorCode.BAD_REQUEST, "layer " + layer + ": entry '" + clean(raw) + "' " + what);
    }

    private BangerException corrupt(String format, Exception e) {
        String kind = switch (format) {
            case "gzip" -> "gzip-compressed tar";
            case "zstd" -> "zstd-compressed tar";
            default -> "tar";
        };
        return new BangerException(ErrorCode.BAD_REQUEST,
                "layer " + layer + " is corrupt or truncated (read as " + kind + "): " + describe(e), e);
    }

    private BangerException overCap(String what, String key) {
        return new BangerException(ErrorCode.BAD_REQUEST, "layer " + layerDigest + " unpacks the image to " + what
                + ", over the cap " + key + " in bangerd's config; a decompression bomb is refused here (raise the cap"
                + " if the image is real)");
    }

    private BangerException cancelled() {
        return new BangerException(ErrorCode.CANCELLED, "layer " + layer + ": cancelled");
    }

    /** sha256:ab12cd34ef56… for digests, else the name (control characters escaped). */
    static String display(String layerName) {
        Matcher m = DIGEST.matcher(layerName);
        if (m.matches()) {
            return m.group(1) + ":" + m.group(2).substring(0, 12) + "…";
        }
        return clean(layerName);
    }

    /** Image-controlled text for a message: control characters escaped, at most 256 characters. */
    static String clean(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 260));
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= 256) {
                return sb.append("…").toString();
            }
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String describe(Exception e) {
        if (e instanceof FileSystemException fse) {
            String reason = fse.getReason() != null ? fse.getReason() : e.getClass().getSimpleName();
            return fse.getFile() + ": " + reason;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
