package dev.banger.daemon.image.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds OCI layer tarballs for tests, including the hostile entries a real image could carry.
 * Entries are written in the order added; {@link #tar()}, {@link #gzip()} and {@link #zstd()}
 * give the layer bytes.
 */
public final class TestLayer {

    public static final Instant MTIME = Instant.parse("2024-01-02T03:04:05Z");

    private final List<Consumer<TarArchiveOutputStream>> entries = new ArrayList<>();
    private int longFileMode = TarArchiveOutputStream.LONGFILE_POSIX;

    /** Long names as GNU ././@LongLink entries instead of PAX path/linkpath records. */
    public TestLayer gnuLongNames() {
        longFileMode = TarArchiveOutputStream.LONGFILE_GNU;
        return this;
    }

    public TestLayer dir(String path, int mode) {
        return entry(path + "/", TarConstants.LF_DIR, mode, 0, 0, null, null, Map.of());
    }

    public TestLayer file(String path, String content) {
        return file(path, content, 0644, 0, 0);
    }

    public TestLayer file(String path, String content, int mode, int uid, int gid) {
        return entry(path, TarConstants.LF_NORMAL, mode, uid, gid, null, content.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public TestLayer file(String path, byte[] content, int mode) {
        return entry(path, TarConstants.LF_NORMAL, mode, 0, 0, null, content, Map.of());
    }

    /** A regular file with PAX extended attributes, e.g. SCHILY.xattr.security.capability. */
    public TestLayer fileWithPax(String path, String content, int mode, Map<String, String> pax) {
        return entry(path, TarConstants.LF_NORMAL, mode, 0, 0, null, content.getBytes(StandardCharsets.UTF_8), pax);
    }

    public TestLayer symlink(String path, String target) {
        return entry(path, TarConstants.LF_SYMLINK, 0777, 0, 0, target, null, Map.of());
    }

    public TestLayer hardlink(String path, String target) {
        return entry(path, TarConstants.LF_LINK, 0644, 0, 0, target, null, Map.of());
    }

    public TestLayer fifo(String path) {
        return entry(path, TarConstants.LF_FIFO, 0644, 0, 0, null, null, Map.of());
    }

    public TestLayer charDevice(String path) {
        return entry(path, TarConstants.LF_CHR, 0666, 0, 0, null, null, Map.of());
    }

    /** {@code .wh.NAME}: deletes NAME from lower layers. */
    public TestLayer whiteout(String dir, String name) {
        return file((dir.isEmpty() ? "" : dir + "/") + ".wh." + name, "");
    }

    /** {@code .wh..wh..opq}: hides everything lower layers put in DIR. */
    public TestLayer opaque(String dir) {
        return file(dir + "/.wh..wh..opq", "");
    }

    /**
     * A PAX extended header ('x') with raw byte values, for the entry added next. TarArchiveOutputStream
     * writes PAX values as UTF-8 text; Go's archive/tar (what builds most images) writes xattr values
     * such as security.capability as raw bytes, which this reproduces.
     */
    public TestLayer paxHeader(Map<String, byte[]> records) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        records.forEach((key, value) -> {
            byte[] k = (" " + key + "=").getBytes(StandardCharsets.UTF_8);
            int rest = k.length + value.length + 1;
            int len = rest + 1;
            while (String.valueOf(len).length() + rest != len) {
                len++;
            }
            body.writeBytes(String.valueOf(len).getBytes(StandardCharsets.US_ASCII));
            body.writeBytes(k);
            body.writeBytes(value);
            body.write('\n');
        });
        return entry("PaxHeaders/next", TarConstants.LF_PAX_EXTENDED_HEADER_LC, 0644, 0, 0, null, body.toByteArray(), Map.of());
    }

    /** Any raw entry, for names a well-behaved builder would never write ("../x", "/etc/x"). */
    public TestLayer entry(String name, byte type, int mode, int uid, int gid, String linkName, byte[] content,
                           Map<String, String> pax) {
        entries.add(out -> {
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            e.setMode(mode);
            e.setUserId(uid);
            e.setGroupId(gid);
            e.setModTime(MTIME.toEpochMilli());
            if (linkName != null) {
                e.setLinkName(linkName);
            }
            pax.forEach(e::addPaxHeader);
            if (content != null) {
                e.setSize(content.length);
            }
            try {
                out.putArchiveEntry(e);
                if (content != null) {
                    out.write(content);
                }
                out.closeArchiveEntry();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
        return this;
    }

    public byte[] tar() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        writeTo(bytes);
        return bytes.toByteArray();
    }

    public byte[] gzip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            writeTo(gz);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public byte[] zstd() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(bytes)) {
            writeTo(z);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private void writeTo(OutputStream sink) {
        try {
            TarArchiveOutputStream out = new TarArchiveOutputStream(sink);
            out.setLongFileMode(longFileMode);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            entries.forEach(e -> e.accept(out));
            out.finish();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
