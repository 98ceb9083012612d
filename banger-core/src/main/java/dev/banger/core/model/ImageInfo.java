package dev.banger.core.model;

import java.time.Instant;

/**
 * A registered image: a rootfs (and optionally a work-seed for {@code /root}) plus the kernel it
 * boots with. Managed images live in the daemon's images dir and are deleted with their row;
 * unmanaged ones point at files the user owns.
 */
public record ImageInfo(String id, String name, String source, String digest, String distro, String arch,
                        String dir, String rootfsPath, String workSeedPath, String kernelId, String kernelName,
                        boolean managed, long sizeBytes, Instant createdAt) {
}
