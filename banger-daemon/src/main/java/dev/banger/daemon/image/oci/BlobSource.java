package dev.banger.daemon.image.oci;

import java.nio.file.Path;

/**
 * Where {@link BlobCache} gets a blob it lacks, typically
 * {@code (d, dest) -> client.fetchBlob(ref, d, dest, progress)}. Writes the blob to {@code dest}
 * (atomically, or not at all) or throws.
 */
@FunctionalInterface
public interface BlobSource {
    void fetch(Descriptor blob, Path dest);

    /**
     * True when {@link #fetch} itself checks size and digest while it writes, as
     * {@link RegistryClient#fetchBlob} does; the cache then checks only the size instead of
     * reading the whole blob again.
     */
    default boolean checksDigest() {
        return false;
    }

    /** {@code source}, declared to check digests itself. */
    static BlobSource checking(BlobSource source) {
        return new BlobSource() {
            @Override
            public void fetch(Descriptor blob, Path dest) {
                source.fetch(blob, dest);
            }

            @Override
            public boolean checksDigest() {
                return true;
            }
        };
    }
}
