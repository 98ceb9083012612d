package dev.banger.daemon.image.oci;

/** What {@link BlobCache#prune} removed, or with {@code dryRun} would remove. */
public record PruneReport(int blobs, long bytes, boolean dryRun) {
}
