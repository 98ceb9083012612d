package dev.banger.core.config;

/**
 * How much one image may unpack to: bytes read out of its decompressed layers and entries
 * (files, directories, links) created, summed over all its layers. A small compressed layer can
 * expand to terabytes (a gzip bomb) or millions of empty files; these caps stop it while it is
 * read, before it fills the tmpfs or the disk.
 *
 * @param maxBytes   {@code max_unpacked_image_size}: decompressed layer bytes per image
 * @param maxEntries {@code max_unpacked_image_entries}: entries per image
 */
public record UnpackLimits(long maxBytes, long maxEntries) {

    /** Far above any real guest image (a full desktop distribution unpacks to a few GiB). */
    public static final long DEFAULT_MAX_BYTES = 64L << 30;
    /** A full distribution has a few hundred thousand files. */
    public static final long DEFAULT_MAX_ENTRIES = 4_000_000;

    public UnpackLimits {
        if (maxBytes <= 0) {
            throw new ConfigException("'max_unpacked_image_size' must be above zero; got " + maxBytes);
        }
        if (maxEntries <= 0) {
            throw new ConfigException("'max_unpacked_image_entries' must be above zero; got " + maxEntries);
        }
    }

    public static UnpackLimits defaults() {
        return new UnpackLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES);
    }
}
