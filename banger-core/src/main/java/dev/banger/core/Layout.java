package dev.banger.core;

import dev.banger.core.config.Config;
import java.nio.file.Path;

/**
 * Where everything lives on disk, derived from the config. ARCHITECTURE.md draws the same tree;
 * keep them in step.
 */
public record Layout(Path stateDir, Path cacheDir, Path runtimeDir, Path socketPath) {

    public static Layout of(Config config) {
        return new Layout(config.stateDir(), config.cacheDir(), config.runtimeDir(), config.socketPath());
    }

    /** The SQLite store. */
    public Path database() {
        return stateDir.resolve("banger.db");
    }

    /** One directory per managed image: rootfs.ext4, work-seed.ext4, metadata. */
    public Path imagesDir() {
        return stateDir.resolve("images");
    }

    /** One directory per kernel: vmlinuz, vmlinux, initrd, modules. */
    public Path kernelsDir() {
        return stateDir.resolve("kernels");
    }

    /** One directory per VM: disks, console log, handles.json, sockets. */
    public Path vmsDir() {
        return stateDir.resolve("vms");
    }

    /** Work in progress (pulls, imports); renamed into place on publish, wiped at start. */
    public Path stagingDir() {
        return stateDir.resolve("staging");
    }

    /** Content-addressed download cache (OCI blobs, kernel packages). */
    public Path downloadCacheDir() {
        return cacheDir.resolve("oci");
    }

    /** Kernel packages from the kernel catalog, by content: {@code <sha256>.deb}. */
    public Path kernelCacheDir() {
        return cacheDir.resolve("kernels");
    }

    /** Written by bangerd at start so {@code banger daemon stop|status} can find it. */
    public Path pidFile() {
        return runtimeDir.resolve("bangerd.pid");
    }

    /** Where {@code banger daemon start} sends a background daemon's output. */
    public Path daemonLog() {
        return stateDir.resolve("bangerd.log");
    }
}
