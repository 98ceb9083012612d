package dev.banger.core.api;

import static dev.banger.core.api.WireType.FLAG;
import static dev.banger.core.api.WireType.BOOLEAN;
import static dev.banger.core.api.WireType.INSTANT;
import static dev.banger.core.api.WireType.INT_OR_ZERO;
import static dev.banger.core.api.WireType.LONG_OR_ZERO;
import static dev.banger.core.api.WireType.STRING;
import static dev.banger.core.api.WireType.listOf;

import dev.banger.core.model.ImageInfo;
import dev.banger.core.rpc.Methods;
import java.util.List;

/** The image.* methods: their params and results (docs/rpc.md has the prose). */
public final class ImageApi {

    private ImageApi() {
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

    /** {@code image.list}: every image, by name. */
    public record ImageList(List<ImageInfo> images) {
    }

    public static final Shape<ImageInfo> IMAGE = Shape.named("image", ImageInfo.class, v -> new ImageInfo(v.next(), v.next(),
                    v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("id", STRING, ImageInfo::id)
            .field("name", STRING, ImageInfo::name)
            .field("source", STRING, ImageInfo::source)
            .field("digest", STRING, ImageInfo::digest)
            .field("distro", STRING, ImageInfo::distro)
            .field("arch", STRING, ImageInfo::arch)
            .field("dir", STRING, ImageInfo::dir)
            .field("rootfs_path", STRING, ImageInfo::rootfsPath)
            .field("work_seed_path", STRING, ImageInfo::workSeedPath)
            .field("kernel_id", STRING, ImageInfo::kernelId)
            .field("kernel_name", STRING, ImageInfo::kernelName)
            .field("managed", FLAG, ImageInfo::managed)
            .field("size_bytes", LONG_OR_ZERO, ImageInfo::sizeBytes)
            .field("created_at", INSTANT, ImageInfo::createdAt);

    static final Shape<PullParams> PULL_PARAMS = Shape.of(PullParams.class,
                    v -> new PullParams(v.next(), v.next(), v.next(), v.next(), v.<RegistryLogin>next()))
            .field("ref", STRING, PullParams::ref)
            .optional("name", STRING, PullParams::name)
            .optional("kernel_ref", STRING, PullParams::kernelRef)
            .optional("size", STRING, PullParams::size)
            .optional("auth", RegistryLogin.SHAPE, PullParams::auth);

    static final Shape<BundlePullParams> BUNDLE_PULL_PARAMS = Shape.of(BundlePullParams.class,
                    v -> new BundlePullParams(v.next(), v.next(), v.next(), v.next(), v.next()))
            .optional("bundle", STRING, BundlePullParams::bundle)
            .field("sha256", STRING, BundlePullParams::sha256)
            .optional("name", STRING, BundlePullParams::name)
            .optional("bundle_stream", STRING, BundlePullParams::bundleStream)
            .optional("label", STRING, BundlePullParams::label);

    static final Shape<BundleMakeParams> BUNDLE_MAKE_PARAMS = Shape.of(BundleMakeParams.class,
                    v -> new BundleMakeParams(v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .optional("rootfs_tar", STRING, BundleMakeParams::rootfsTar)
            .field("name", STRING, BundleMakeParams::name)
            .field("kernel_ref", STRING, BundleMakeParams::kernelRef)
            .optional("distro", STRING, BundleMakeParams::distro)
            .optional("out", STRING, BundleMakeParams::out)
            .optional("size", STRING, BundleMakeParams::size)
            .optional("rootfs_tar_stream", STRING, BundleMakeParams::rootfsTarStream)
            .optional("out_stream", STRING, BundleMakeParams::outStream);

    static final Shape<BundleMade> BUNDLE_MADE = Shape.of(BundleMade.class,
                    v -> new BundleMade(v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("path", STRING, BundleMade::path)
            .field("sha256", STRING, BundleMade::sha256)
            .field("size_bytes", LONG_OR_ZERO, BundleMade::sizeBytes)
            .field("name", STRING, BundleMade::name)
            .field("kernel_ref", STRING, BundleMade::kernelRef)
            .field("work_seed", FLAG, BundleMade::workSeed);

    static final Shape<RegisterParams> REGISTER_PARAMS = Shape.of(RegisterParams.class,
                    v -> new RegisterParams(v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("name", STRING, RegisterParams::name)
            .optional("rootfs", STRING, RegisterParams::rootfs)
            .optional("kernel", STRING, RegisterParams::kernel)
            .optional("initrd", STRING, RegisterParams::initrd)
            .optional("kernel_ref", STRING, RegisterParams::kernelRef)
            .optional("rootfs_stream", STRING, RegisterParams::rootfsStream)
            .optional("kernel_stream", STRING, RegisterParams::kernelStream)
            .optional("initrd_stream", STRING, RegisterParams::initrdStream)
            .optional("label", STRING, RegisterParams::label);

    static final Shape<CachePruneParams> CACHE_PRUNE_PARAMS = Shape.of(CachePruneParams.class, v -> new CachePruneParams(v.next()))
            .optional("dry_run", BOOLEAN, CachePruneParams::dryRun);

    static final Shape<CachePruneResult> CACHE_PRUNE_RESULT = Shape.of(CachePruneResult.class,
                    v -> new CachePruneResult(v.next(), v.next(), v.next(), v.next(), v.next()))
            .field("dir", STRING, CachePruneResult::dir)
            .field("blobs", INT_OR_ZERO, CachePruneResult::blobs)
            .field("bytes", LONG_OR_ZERO, CachePruneResult::bytes)
            .field("builds", INT_OR_ZERO, CachePruneResult::builds)
            .field("dry_run", FLAG, CachePruneResult::dryRun);

    static final Shape<ImageList> IMAGE_LIST = Shape.of(ImageList.class, v -> new ImageList(v.next()))
            .field("images", listOf(IMAGE), ImageList::images);

    public static final RpcMethod<PullParams, ImageInfo> PULL = RpcMethod.tracked(Methods.IMAGE_PULL, PULL_PARAMS, IMAGE);
    public static final RpcMethod<NoParams, ImageList> LIST = RpcMethod.untracked(Methods.IMAGE_LIST, NoParams.SHAPE, IMAGE_LIST);
    public static final RpcMethod<NameParams, ImageInfo> SHOW = RpcMethod.untracked(Methods.IMAGE_SHOW, NameParams.SHAPE, IMAGE);
    public static final RpcMethod<NameParams, ImageInfo> DELETE = RpcMethod.tracked(Methods.IMAGE_DELETE, NameParams.SHAPE, IMAGE);
    public static final RpcMethod<BundlePullParams, ImageInfo> BUNDLE_PULL =
            RpcMethod.tracked(Methods.IMAGE_BUNDLE_PULL, BUNDLE_PULL_PARAMS, IMAGE);
    public static final RpcMethod<BundleMakeParams, BundleMade> BUNDLE_MAKE =
            RpcMethod.tracked(Methods.IMAGE_BUNDLE_MAKE, BUNDLE_MAKE_PARAMS, BUNDLE_MADE);
    public static final RpcMethod<RegisterParams, ImageInfo> REGISTER = RpcMethod.tracked(Methods.IMAGE_REGISTER, REGISTER_PARAMS, IMAGE);
    public static final RpcMethod<NameParams, ImageInfo> PROMOTE = RpcMethod.tracked(Methods.IMAGE_PROMOTE, NameParams.SHAPE, IMAGE);
    public static final RpcMethod<CachePruneParams, CachePruneResult> CACHE_PRUNE =
            RpcMethod.tracked(Methods.IMAGE_CACHE_PRUNE, CACHE_PRUNE_PARAMS, CACHE_PRUNE_RESULT);
}
