package dev.banger.core.model;

import java.time.Instant;

/**
 * A bootable kernel: a compressed {@code vmlinuz} (QEMU), an uncompressed ELF {@code vmlinux}
 * where one could be cut out (Firecracker), an initramfs that loads the modules a microVM needs.
 */
public record KernelInfo(String id, String name, String version, String distro, String arch, String dir,
                         String vmlinuzPath, String vmlinuxPath, String initrdPath, String modulesPath,
                         boolean managed, String source, String sha256, Instant createdAt) {
}
