package dev.banger.daemon.image.layers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * commons-compress's tar reader, plus the two things it loses that a layer flattener needs:
 * <ul>
 *   <li>PAX values as bytes: commons-compress decodes every PAX value as UTF-8, which corrupts
 *       binary xattrs such as {@code security.capability} (any byte over 0x7f). The reader reads
 *       PAX header data through {@link #read(byte[], int, int)}, so this class keeps a copy of
 *       those bytes and parses the records itself.</li>
 *   <li>Absolute names: commons-compress strips leading slashes from PAX and GNU long names.
 *       {@link #rawPath()} returns the name as the archive spelled it.</li>
 * </ul>
 * It also caps metadata entries (PAX headers, GNU long names) at {@value #MAX_METADATA_BYTES}
 * bytes, so a hostile layer cannot make the daemon buffer a gigabyte "file name". Bundles
 * ({@code image.bundle}) are read with it too.
 */
public final class LayerTarInputStream extends TarArchiveInputStream {

    static final int MAX_METADATA_BYTES = 1 << 20;

    private final ByteArrayOutputStream localPax = new ByteArrayOutputStream();
    private final ByteArrayOutputStream globalPax = new ByteArrayOutputStream();
    private final Map<String, byte[]> globalRecords = new HashMap<>();
    private Map<String, byte[]> records = Map.of();
    private String longName;
    private long metadataBytes;
    private int depth;

    public LayerTarInputStream(InputStream in) {
        // Names are UTF-8 (what every OCI builder writes); strict parsing of numeric fields.
        super(in, TarConstants.DEFAULT_BLKSIZE, TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name(), false);
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        // commons-compress calls getNextEntry() again from inside (after a PAX header or a GNU long
        // name): only the outermost call starts a new entry's capture.
        if (depth++ == 0) {
            localPax.reset();
            longName = null;
            metadataBytes = 0;
        }
        TarArchiveEntry entry;
        try {
            entry = super.getNextEntry();
        } finally {
            depth--;
        }
        if (depth == 0) {
            if (globalPax.size() > 0) {
                parseRecords(globalPax.toByteArray(), globalRecords);
                globalPax.reset();
            }
            if (localPax.size() > 0 || !globalRecords.isEmpty()) {
                Map<String, byte[]> merged = new HashMap<>(globalRecords);
                parseRecords(localPax.toByteArray(), merged);
                records = merged;
            } else {
                records = Map.of();
            }
        }
        return entry;
    }

    @Override
    public int read(byte[] buf, int offset, int length) throws IOException {
        int n = super.read(buf, offset, length);
        if (n > 0) {
            TarArchiveEntry current = getCurrentEntry();
            if (current != null && isMetadata(current)) {
                metadataBytes += n;
                if (metadataBytes > MAX_METADATA_BYTES) {
                    throw new IOException("a tar metadata entry (PAX header or long name) is larger than "
                            + MAX_METADATA_BYTES + " bytes");
                }
                if (current.isGlobalPaxHeader()) {
                    globalPax.write(buf, offset, n);
                } else if (current.isPaxHeader()) {
                    localPax.write(buf, offset, n);
                }
            }
        }
        return n;
    }

    @Override
    protected byte[] getLongNameData() throws IOException {
        TarArchiveEntry current = getCurrentEntry();
        byte[] data = super.getLongNameData();
        if (data != null && current != null && current.isGNULongNameEntry()) {
            longName = new String(data, StandardCharsets.UTF_8);
        }
        return data;
    }

    private static boolean isMetadata(TarArchiveEntry e) {
        return e.isPaxHeader() || e.isGlobalPaxHeader() || e.isGNULongNameEntry() || e.isGNULongLinkEntry();
    }

    /** The current entry's name as the archive wrote it (PAX path, GNU long name), or null: use getName(). */
    public String rawPath() {
        byte[] path = records.get("path");
        if (path != null) {
            return new String(path, StandardCharsets.UTF_8);
        }
        return longName;
    }

    /** The current entry's PAX records (global ones included), values as raw bytes. */
    Map<String, byte[]> paxRecords() {
        return records;
    }

    /**
     * Parses "LEN KEY=VALUE\n" records. An empty value removes the key (POSIX: it cancels a global
     * value). Stops at NUL padding.
     */
    static void parseRecords(byte[] data, Map<String, byte[]> into) throws IOException {
        int i = 0;
        while (i < data.length && data[i] != 0) {
            int start = i;
            long len = 0;
            while (i < data.length && data[i] != ' ') {
                int d = data[i] - '0';
                if (d < 0 || d > 9 || len > data.length) {
                    throw new IOException("malformed PAX header record at offset " + start);
                }
                len = len * 10 + d;
                i++;
            }
            long end = start + len;
            if (i == start || i >= data.length || end > data.length || end <= i + 1 || data[(int) end - 1] != '\n') {
                throw new IOException("malformed PAX header record at offset " + start);
            }
            int keyStart = i + 1;
            int eq = keyStart;
            while (eq < end - 1 && data[eq] != '=') {
                eq++;
            }
            if (eq >= end - 1 && data[eq] != '=') {
                throw new IOException("malformed PAX header record at offset " + start + ": no '='");
            }
            String key = new String(data, keyStart, eq - keyStart, StandardCharsets.UTF_8);
            int valueStart = eq + 1;
            int valueLength = (int) end - 1 - valueStart;
            if (valueLength == 0) {
                into.remove(key);
            } else {
                byte[] value = new byte[valueLength];
                System.arraycopy(data, valueStart, value, 0, valueLength);
                into.put(key, value);
            }
            i = (int) end;
        }
    }
}
