package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.config.UnpackLimits;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.units.Sizes;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.bundle.BundleFetcher;
import dev.banger.daemon.image.bundle.BundleManifest;
import dev.banger.daemon.image.bundle.BundleReader;
import dev.banger.daemon.image.bundle.BundleWriter;
import dev.banger.daemon.image.layers.FlattenResult;
import dev.banger.daemon.image.layers.LayerFlattener;
import dev.banger.daemon.image.rootfs.Ext4Images;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Image bundles, both ways. {@code image.bundle.pull}: fetch ({@link BundleFetch}) into a
 * staging dir, check its sha256 then unpack it, resolve the manifest's kernel, build a work-seed
 * from the rootfs's {@code /root} when the bundle has none, publish. {@code image.bundle.make}:
 * flatten a rootfs tar as one layer, then the OCI pull's own steps (guest files, ext4, debugfs
 * fixups, work-seed) and pack. The formats live in {@code image.bundle}; staging and the publication
 * window are {@link ImagePublisher}'s.
 *
 * <p>Host paths (a bundle file, the rootfs tar, {@code out}) only for a caller with bangerd's
 * rights; anyone else uploads the files and downloads the bundle ({@link Uploads}).
 *
 * <p>A pulled bundle's rootfs is used as it is: no guest files are injected (it is already an
 * ext4). Bundles are meant to come from {@code make-bundle}, which injects them.
 */
final class BundleImages {

    private final ImagePublisher publisher;
    private final WorkSeeds workSeeds;
    private final FinalizePulledRootfs finalizer;
    private final BundleFetch bundleFetch;
    private final Store store;
    private final Clock clock;
    private final boolean applyOwnership;
    private final UnpackLimits unpackLimits;

    BundleImages(ImagePublisher publisher, WorkSeeds workSeeds, FinalizePulledRootfs finalizer, BundleFetch bundleFetch, Store store,
                 Clock clock, boolean applyOwnership, UnpackLimits unpackLimits) {
        this.publisher = publisher;
        this.workSeeds = workSeeds;
        this.finalizer = finalizer;
        this.bundleFetch = bundleFetch;
        this.store = store;
        this.clock = clock;
        this.applyOwnership = applyOwnership;
        this.unpackLimits = unpackLimits;
    }

    ImageInfo pull(ImageApi.BundlePullParams p, OperationContext ctx) {
        if ((p.bundle() == null || p.bundle().isBlank()) == (p.bundleStream() == null)) {
            throw BangerException.badRequest("image pull --bundle needs a URL, an absolute file path or an uploaded file "
                    + "(bundle_stream), exactly one");
        }
        if (p.bundle() != null && !BundleFetcher.isUrl(p.bundle())) {
            ctx.client().requireHostPathRights("bundle", "bundle_stream");
        }
        String shown = p.bundle() != null ? displaySource(p.bundle()) : Uploads.source("", p.label());
        if (p.sha256() == null) {
            throw BangerException.badRequest("image pull --bundle needs --sha256 HEX: the bundle is checked against it");
        }
        String sha256 = BundleReader.normalizeSha256(p.sha256());
        String requested = p.name() == null ? null : Names.validate("image", p.name());
        if (requested != null) {
            publisher.requireImageNameFree(requested);
        }
        InputStream upload = p.bundleStream() == null ? null : Uploads.claim(ctx, p.bundleStream());
        Path staging = publisher.newStagingDir("bundle");
        try {
            Path fetched = upload != null ? Uploads.save(upload, "the bundle", staging.resolve("bundle.upload"))
                    : bundleFetch.fetch(p.bundle(), staging, ctx);
            ctx.checkCancelled();
            Path dir = Files.createDirectory(staging.resolve("image"));
            long total = Files.size(fetched);
            BundleReader.Contents c = BundleReader.extract(fetched, sha256, dir, n -> ctx.progress("check bundle", n, total),
                    n -> ctx.progress("unpack bundle", n, total));
            if (fetched.toAbsolutePath().normalize().startsWith(staging.toAbsolutePath().normalize())) {
                Files.delete(fetched); // a seam handing back a file of its own keeps it
            }
            BundleManifest m = c.manifest();
            if (requested == null && m.name() == null) {
                throw BangerException.badRequest("the bundle's manifest.json names no image: pass --name");
            }
            String name = requested != null ? requested : Names.validate("image", m.name());
            publisher.requireImageNameFree(name);
            KernelInfo kernel = m.kernelRef() == null ? null : store.kernels().find(m.kernelRef())
                    .orElseThrow(() -> BangerException.notFound("the bundle boots kernel '" + m.kernelRef()
                            + "', which is not imported (see `banger kernel list`; import it first)"));
            requireExt4(c.rootfs());
            if (c.workSeed() != null) {
                requireExt4(c.workSeed());
            }
            boolean seeded = c.workSeed() != null;
            if (!seeded) {
                ctx.progress("build work-seed");
                seeded = workSeeds.buildFromImage(c.rootfs(), staging.resolve("seed"), dir.resolve(BundleReader.WORK_SEED), name);
                ctx.checkCancelled();
            }
            ctx.progress("publish");
            ImageInfo draft = new ImageInfo(Ids.newId(), name, "bundle:" + shown, "sha256:" + c.sha256(),
                    m.distro(), m.normalizedArch(), null, BundleReader.ROOTFS, seeded ? BundleReader.WORK_SEED : null,
                    kernel == null ? null : kernel.id(), kernel == null ? null : kernel.name(), true,
                    Files.size(c.rootfs()), clock.instant());
            return publisher.publishImage(dir, draft);
        } catch (IOException e) {
            NoSpaceException.throwIfFull(e, staging, "unpacking bundle " + shown);
            throw new BangerException(ErrorCode.OPERATION_FAILED, "pull of bundle " + shown + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BangerException(ErrorCode.CANCELLED, "pull of bundle " + shown + " cancelled");
        } catch (RuntimeException e) {
            NoSpaceException.throwIfFull(e, staging, "unpacking bundle " + shown);
            throw e;
        } finally {
            Uploads.closeQuietly(upload);
            FileTrees.deleteQuietly(staging);
        }
    }

    ImageApi.BundleMade make(ImageApi.BundleMakeParams p, OperationContext ctx) {
        String name = Names.validate("image", p.name());
        if (p.kernelRef() == null) {
            throw BangerException.badRequest("make-bundle needs --kernel-ref: the kernel VMs from the bundle boot");
        }
        String kernelRef = Names.validate("kernel", p.kernelRef());
        if ((p.rootfsTar() == null) == (p.rootfsTarStream() == null)) {
            throw BangerException.badRequest("make-bundle needs its rootfs tar as a path (rootfs_tar) or an upload "
                    + "(rootfs_tar_stream), exactly one");
        }
        if ((p.out() == null) == (p.outStream() == null)) {
            throw BangerException.badRequest("make-bundle needs where to write the bundle as a path (out) or a download "
                    + "(out_stream), exactly one");
        }
        Path tar = null;
        if (p.rootfsTar() != null) {
            ctx.client().requireHostPathRights("rootfs_tar", "rootfs_tar_stream");
            tar = absolute("--rootfs-tar", p.rootfsTar());
            if (!Files.isRegularFile(tar)) {
                throw BangerException.notFound("--rootfs-tar " + tar + " does not exist (or is not a file)");
            }
        }
        Path out = null;
        if (p.out() != null) {
            ctx.client().requireHostPathRights("out", "out_stream");
            out = absolute("--out", p.out());
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                throw new BangerException(ErrorCode.ALREADY_EXISTS, "--out " + out + " already exists; bundles are never overwritten");
            }
            if (out.getParent() == null || !Files.isDirectory(out.getParent())) {
                throw BangerException.notFound("--out " + out + ": directory " + out.getParent() + " does not exist");
            }
        }
        Long size = p.size() == null ? null : Sizes.parse("--size", p.size());
        InputStream upload = tar == null ? Uploads.claim(ctx, p.rootfsTarStream()) : null;
        OutputStream download = out == null ? ctx.client().streams().download(p.outStream()) : null;
        Path staging = publisher.newStagingDir("make-bundle-" + name);
        try {
            Path tree = Files.createDirectory(staging.resolve("tree"));
            ctx.progress("unpack rootfs tar");
            LayerFlattener flattener = new LayerFlattener(tree, applyOwnership, unpackLimits);
            try (InputStream in = tar != null ? Files.newInputStream(tar) : upload) {
                flattener.apply(in, tar != null ? tar.getFileName().toString() : "rootfs tar");
            }
            FlattenResult flat = flattener.finish();
            ctx.checkCancelled();
            Path rootfs = staging.resolve(BundleReader.ROOTFS);
            finalizer.finish(tree, new PulledTree(null, "amd64", flat), rootfs, size, name, ctx);
            ctx.checkCancelled();
            ctx.progress("build work-seed");
            Path seed = staging.resolve(BundleReader.WORK_SEED);
            boolean seeded = workSeeds.build(tree, seed, name);
            FileTrees.deleteQuietly(tree);
            ctx.checkCancelled();
            long total = Files.size(rootfs) + (seeded ? Files.size(seed) : 0);
            ctx.progress("write bundle", 0, total);
            BundleManifest manifest = new BundleManifest(name, p.distro(), "amd64", kernelRef);
            Path written = out != null ? out : staging.resolve("bundle.tar.zst");
            String sha256 = BundleWriter.write(written, manifest, rootfs, seeded ? seed : null, n -> ctx.progress("write bundle", n, total));
            long bytes = Files.size(written);
            if (download != null) {
                ctx.progress("send bundle");
                Files.copy(written, download);
                download.close(); // the clean end: the CLI keeps the file only after it
            }
            return new ImageApi.BundleMade(out == null ? null : out.toString(), sha256, bytes, name, kernelRef, seeded);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "make-bundle " + name + " failed: " + e.getMessage(), e);
        } finally {
            Uploads.closeQuietly(upload);
            FileTrees.deleteQuietly(staging);
        }
    }

    private static void requireExt4(Path file) throws IOException {
        if (!Ext4Images.hasExt4Magic(file)) {
            throw BangerException.badRequest("the bundle's " + file.getFileName() + " is not an ext4 image (no ext4 superblock)");
        }
    }

    private static Path absolute(String flag, String path) {
        if (path == null || path.isBlank()) {
            throw BangerException.badRequest(flag + " is required");
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw BangerException.badRequest(flag + " " + path + " is not an absolute path");
        }
        return p.normalize();
    }

    /** A URL without user info or query (either may hold a secret); a path as given. */
    static String displaySource(String source) {
        if (!BundleFetcher.isUrl(source)) {
            return source;
        }
        try {
            URI u = new URI(source);
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (Exception e) {
            return "(unparsable URL)";
        }
    }
}
