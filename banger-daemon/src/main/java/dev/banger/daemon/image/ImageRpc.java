package dev.banger.daemon.image;

import dev.banger.daemon.image.oci.RegistryLogin;
import java.util.List;

/** The params and results of the image and kernel RPC methods (docs/rpc.md), as the daemon reads and writes them. */
public final class ImageRpc {

    private ImageRpc() {
    }

    /**
     * {@code image.pull} params. {@code size} like "4G"; {@code kernel_ref} names an imported kernel, or one in the kernel catalog
     * (pulled then); {@code auth}: credentials for the reference's registry the CLI resolved as the invoking user (kept for this pull only).
     */
    public record PullParams(String ref, String name, String kernelRef, String size, RegistryLogin auth) {
        public PullParams(String ref, String name, String kernelRef, String size) {
            this(ref, name, kernelRef, size, null);
        }
    }

    /**
     * {@code kernel.import} params: exactly one of {@code from}, a prepared kernel directory (vmlinuz,
     * optional vmlinux, initrd.img, modules/), {@code deb}, a Debian linux-image package (both host
     * paths: root only), {@code from_stream}, the token of an uploaded tar of such a directory, and
     * {@code deb_stream}, the token of an uploaded package. {@code label}: with a stream, how its
     * source is recorded (the path the user named; never opened).
     */
    public record KernelImportParams(String name, String from, String version, String distro, String deb,
                                     String fromStream, String debStream, String label) {
        public KernelImportParams(String name, String from, String version, String distro, String deb) {
            this(name, from, version, distro, deb, null, null, null);
        }

        public KernelImportParams(String name, String from, String version, String distro) {
            this(name, from, version, distro, null);
        }
    }

    /**
     * {@code image.bundle.pull} params: {@code bundle} a URL or an absolute path (root only), or
     * {@code bundle_stream} the token of the uploaded file (and {@code label}, how it is recorded);
     * {@code sha256} its hex digest.
     */
    public record BundlePullParams(String bundle, String sha256, String name, String bundleStream, String label) {
        public BundlePullParams(String bundle, String sha256, String name) {
            this(bundle, sha256, name, null, null);
        }
    }

    /**
     * {@code image.bundle.make} params: the rootfs tar as {@code rootfs_tar} (an absolute path, root
     * only) or {@code rootfs_tar_stream} (an upload's token); the bundle to {@code out} (an absolute
     * path, root only, never overwritten) or {@code out_stream} (a download's token).
     */
    public record BundleMakeParams(String rootfsTar, String name, String kernelRef, String distro, String out, String size,
                                   String rootfsTarStream, String outStream) {
        public BundleMakeParams(String rootfsTar, String name, String kernelRef, String distro, String out, String size) {
            this(rootfsTar, name, kernelRef, distro, out, size, null, null);
        }
    }

    /** What {@code image.bundle.make} wrote ({@code path} null when it went to {@code out_stream}). */
    public record BundleMade(String path, String sha256, long sizeBytes, String name, String kernelRef, boolean workSeed) {
    }

    /**
     * {@code image.register} params: {@code kernel_ref} or {@code kernel} (+ {@code initrd}). The
     * files as absolute paths (root only: recorded in place, an unmanaged image) or as the tokens of
     * uploads, {@code rootfs_stream}, {@code kernel_stream}, {@code initrd_stream} (copied in: a
     * managed image; {@code label}, how its source is recorded).
     */
    public record RegisterParams(String name, String rootfs, String kernel, String initrd, String kernelRef,
                                 String rootfsStream, String kernelStream, String initrdStream, String label) {
        public RegisterParams(String name, String rootfs, String kernel, String initrd, String kernelRef) {
            this(name, rootfs, kernel, initrd, kernelRef, null, null, null, null);
        }
    }

    public record CachePruneParams(Boolean dryRun) {
    }

    /**
     * {@code image.cache.prune}: blobs removed from {@code dir} and built rootfs entries ({@code builds})
     * removed, with the bytes that freed (or, with {@code dry_run}, would free).
     */
    public record CachePruneResult(String dir, int blobs, long bytes, int builds, boolean dryRun) {
    }

    /** {@code kernel.catalog}: {@code catalog} is "embedded" or the {@code kernel_catalog} file. */
    public record KernelCatalogList(String catalog, List<CatalogKernel> kernels) {
    }

    /**
     * A catalog entry; {@code imported}: a kernel of that name exists ({@code importedSha256} its sha256,
     * which differs when it is another build); {@code cached}: the artifact is in the download cache;
     * {@code package}: what apt fetches, for kind apt (which has no url or sha256).
     */
    public record CatalogKernel(String name, String kind, String version, String distro, String arch, String url,
                                String sha256, Long sizeBytes, String description, boolean imported, String importedSha256,
                                boolean cached, @com.fasterxml.jackson.annotation.JsonProperty("package") String aptPackage) {
    }
}
