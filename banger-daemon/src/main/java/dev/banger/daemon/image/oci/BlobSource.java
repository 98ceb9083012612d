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
}
