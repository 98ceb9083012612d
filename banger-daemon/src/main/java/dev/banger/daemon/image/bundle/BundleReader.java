package dev.banger.daemon.image.bundle;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.fs.SparseFiles;
import dev.banger.daemon.image.layers.LayerTarInputStream;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Reads an image bundle in one pass: a {@code .tar.zst} or {@code .tar.gz} (told apart by magic
 * bytes) holding exactly {@code rootfs.ext4} and {@code manifest.json}, optionally
 * {@code work-seed.ext4}. The file's sha256 is checked in a pass of its own before anything is
 * unpacked: the unpacker (and the disk) only ever see a bundle that is the one asked for.
 *
 * <p>Strict by design: only regular files with those three names (a leading {@code ./} is
 * tolerated), each at most once. Directories, links, devices, any other name, absolute names and
 * names with {@code ..} fail the whole bundle with {@code bad_request} naming the entry. Files are
 * created with CREATE_NEW and NOFOLLOW_LINKS in {@code dest} (a fresh directory), and the ext4
 * images are written sparse (zero blocks become holes). Whatever was written to {@code dest} is the caller's to delete.
 */
public final class BundleReader {

    public static final String ROOTFS = "rootfs.ext4";
    public static final String MANIFEST = "manifest.json";
    public static final String WORK_SEED = "work-seed.ext4";
    static final Set<String> ALLOWED = Set.of(ROOTFS, MANIFEST, WORK_SEED);
    private static final String EXPECTED = "a bundle holds exactly rootfs.ext4 and manifest.json, optionally work-seed.ext4";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int BUFFER = 1 << 20;
    private static final long PROGRESS_EVERY = 16L << 20;

    /** What a bundle held; {@code workSeed} is null when it had none. {@code sha256} is lower-case hex. */
    public record Contents(BundleManifest manifest, Path rootfs, Path workSeed, String sha256) {
    }

    private BundleReader() {
    }

    /** {@code HEX} or {@code sha256:HEX}, any case, as lower-case hex; anything else is bad_request. */
    public static String normalizeSha256(String text) {
        String hex = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (hex.startsWith("sha256:")) {
            hex = hex.substring("sha256:".length());
        }
        if (!SHA256_HEX.matcher(hex).matches()) {
            throw BangerException.badRequest("--sha256 '" + text + "' is not a sha256: give the bundle's 64 hex digits");
        }
        return hex;
    }

    /**
     * Checks {@code bundle} against {@code expectedSha256}, then unpacks it into {@code dest} (an
     * existing empty directory). The hash comes first, over the whole file: a wrong or corrupt
     * bundle is refused before one byte of it reaches the unpacker or the disk.
     *
     * @param checked  bytes of the bundle file hashed so far: 0 first, then now and then
     * @param unpacked bytes of the bundle file unpacked so far: 0 first (once the hash is right), then now and then
     */
    public static Contents extract(Path bundle, String expectedSha256, Path dest, LongConsumer checked, LongConsumer unpacked) {
        String expected = normalizeSha256(expectedSha256);
        MessageDigest md = Sha256.newDigest();
        try {
            checked.accept(0);
            try (InputStream file = new Reading(Files.newInputStream(bundle), md, checked)) {
                file.transferTo(OutputStream.nullOutputStream());
            }
            String got = Sha256.hex(md);
            if (!got.equals(expected)) {
                throw BangerException.badRequest("bundle sha256 mismatch: expected " + expected + ", got " + got
                        + " (a corrupt download, or not the bundle you meant); nothing was unpacked");
            }
            unpacked.accept(0);
            try (InputStream file = new Reading(Files.newInputStream(bundle), null, unpacked)) {
                Contents contents = unpack(new BufferedInputStream(file, 1 << 16), dest);
                return new Contents(contents.manifest(), contents.rootfs(), contents.workSeed(), got);
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot read bundle " + bundle + ": " + e.getMessage(), e);
        }
    }

    private static Contents unpack(InputStream raw, Path dest) {
        InputStream shielded = new FilterInputStream(raw) {
            @Override
            public void close() {
                // extract() closes the file
            }
        };
        InputStream data = null;
        try {
            data = decompress(shielded);
            LayerTarInputStream tar = new LayerTarInputStream(data);
            Map<String, Path> files = new HashMap<>();
            byte[] manifest = null;
            TarArchiveEntry e;
            while ((e = next(tar)) != null) {
                String raw0 = tar.rawPath() != null ? tar.rawPath() : e.getName();
                String name = check(e, raw0);
                if (files.containsKey(name) || name.equals(MANIFEST) && manifest != null) {
                    throw bad(raw0, "appears twice");
                }
                if (name.equals(MANIFEST)) {
                    if (e.getSize() > BundleManifest.MAX_BYTES) {
                        throw bad(raw0, "is larger than " + BundleManifest.MAX_BYTES + " bytes");
                    }
                    manifest = readAll(tar);
                } else {
                    Path out = dest.resolve(name);
                    writeSparse(tar, out);
                    files.put(name, out);
                }
            }
            // Tar padding and the compressed stream's trailer: truncation shows up here.
            byte[] buf = new byte[BUFFER];
            while (read(data, buf, 0, buf.length) >= 0) {
                // discard
            }
            if (!files.containsKey(ROOTFS)) {
                throw BangerException.badRequest("bundle has no rootfs.ext4; " + EXPECTED);
            }
            if (manifest == null) {
                throw BangerException.badRequest("bundle has no manifest.json; " + EXPECTED);
            }
            return new Contents(BundleManifest.parse(manifest), files.get(ROOTFS), files.get(WORK_SEED), null);
        } finally {
            if (data != null) {
                try {
                    data.close(); // frees zstd's native buffers; the file itself stays open
                } catch (IOException | RuntimeException ignored) {
                    // nothing to do
                }
            }
        }
    }

    /** The entry's name without a leading "./", or bad_request saying why the entry is not allowed. */
    private static String check(TarArchiveEntry e, String raw) {
        if (raw.isEmpty()) {
            throw bad(raw, "has an empty name");
        }
        if (raw.startsWith("/")) {
            throw bad(raw, "is an absolute name");
        }
        if (Arrays.asList(raw.split("/")).contains("..")) {
            throw bad(raw, "climbs out with '..'");
        }
        if (e.isDirectory()) {
            throw bad(raw, "is a directory");
        }
        if (e.isSymbolicLink()) {
            throw bad(raw, "is a symbolic link");
        }
        if (e.isLink()) {
            throw bad(raw, "is a hard link");
        }
        byte flag = e.getLinkFlag();
        boolean regular = flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM
                || flag == TarConstants.LF_CONTIG || e.isSparse();
        if (!regular) {
            throw bad(raw, "is not a regular file (tar type '" + clean(String.valueOf((char) flag)) + "')");
        }
        String name = raw.startsWith("./") ? raw.substring(2) : raw;
        if (!ALLOWED.contains(name)) {
            throw bad(raw, "is not expected");
        }
        return name;
    }

    private static InputStream decompress(InputStream in) {
        try {
            in.mark(4);
            byte[] magic = in.readNBytes(4);
            in.reset();
            if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
                    && (magic[3] & 0xff) == 0xfd) {
                return new ZstdInputStreamNoFinalizer(in);
            }
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                return new GZIPInputStream(in, 1 << 16);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BangerException be) {
                throw be;
            }
            throw corrupt(e);
        }
        throw BangerException.badRequest("bundle is neither a .tar.zst nor a .tar.gz (unknown magic bytes)");
    }

    private static TarArchiveEntry next(LayerTarInputStream tar) {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            if (e instanceof BangerException be) {
                throw be;
            }
            throw corrupt(e);
        }
    }

    /** Reads from the archive; any failure but a cancellation is a corrupt bundle. */
    private static int read(InputStream in, byte[] buf, int off, int len) {
        try {
            return in.read(buf, off, len);
        } catch (IOException | RuntimeException e) {
            if (e instanceof BangerException be) {
                throw be;
            }
            throw corrupt(e);
        }
    }

    private static byte[] readAll(InputStream in) {
        byte[] buf = new byte[BundleManifest.MAX_BYTES + 1];
        int n = 0;
        int r;
        while (n < buf.length && (r = read(in, buf, n, buf.length - n)) > 0) {
            n += r;
        }
        return Arrays.copyOf(buf, n);
    }

    /** Copies the entry to a new file, leaving holes where whole blocks are zero. */
    private static void writeSparse(InputStream in, Path out) {
        InputStream entry = new FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) {
                return BundleReader.read(in, b, off, len); // a read failure is a corrupt bundle, not a write failure
            }
        };
        try {
            SparseFiles.write(entry, out);
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "unpacking the bundle was cancelled");
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private static BangerException bad(String entry, String why) {
        return BangerException.badRequest("bundle entry '" + clean(entry) + "' " + why + "; " + EXPECTED);
    }

    private static BangerException corrupt(Exception e) {
        return BangerException.badRequest("bundle is corrupt or truncated: " + (e.getMessage() == null ? e : e.getMessage()));
    }

    private static String clean(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder b = new StringBuilder(t.length());
        t.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    /** Hashes and counts what passes through; stops with CANCELLED when the thread is interrupted. */
    /** The bundle file as read: a cancel ends it, it reports progress, and it feeds {@code md} when there is one. */
    private static final class Reading extends FilterInputStream {
        private final MessageDigest md;
        private final LongConsumer progress;
        private long count;
        private long reported;

        Reading(InputStream in, MessageDigest md, LongConsumer progress) {
            super(in);
            this.md = md;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "reading the bundle was cancelled");
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                if (md != null) {
                    md.update(b, off, n);
                }
                count += n;
                if (count - reported >= PROGRESS_EVERY) {
                    reported = count;
                    progress.accept(count);
                }
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, BUFFER)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }

        @Override
        public long transferTo(OutputStream out) throws IOException {
            byte[] buf = new byte[BUFFER];
            long total = 0;
            int n;
            while ((n = read(buf, 0, buf.length)) >= 0) {
                out.write(buf, 0, n);
                total += n;
            }
            return total;
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
