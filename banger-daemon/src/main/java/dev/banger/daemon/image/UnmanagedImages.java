package dev.banger.daemon.image;

import dev.banger.core.api.ImageApi;
import dev.banger.core.Layout;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.image.bundle.BundleReader;
import dev.banger.daemon.image.rootfs.Ext4Images;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.ImageRows;
import dev.banger.daemon.store.KernelRows;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Unmanaged images: {@code image.register} records an ext4 the user keeps where it is (banger
 * never writes or deletes it), {@code image.promote} copies such an image into the images dir and
 * makes it managed. With {@code --kernel FILE [--initrd FILE]} register also records an unmanaged
 * <em>companion kernel</em> named {@code <image>-kernel} pointing at those files; its
 * {@code source} is {@code image:<image id>}, and it goes when its image's row goes (unless another
 * image was registered with it since).
 *
 * <p>Only a caller with bangerd's own rights (root) may name paths. Any other caller's files
 * arrive as uploads and are registered and promoted in one step: a managed image, and a managed
 * companion kernel whose files go with it.
 */
final class UnmanagedImages {

    static final String COMPANION_SUFFIX = "-kernel";
    private static final Duration COPY_TIMEOUT = Duration.ofHours(1);

    private final ImagePublisher publisher;
    private final WorkSeeds workSeeds;
    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;
    private final Clock clock;

    UnmanagedImages(ImagePublisher publisher, WorkSeeds workSeeds, Store store, CommandRunner runner, Layout layout, Clock clock) {
        this.publisher = publisher;
        this.workSeeds = workSeeds;
        this.store = store;
        this.runner = runner;
        this.layout = layout;
        this.clock = clock;
    }

    /**
     * Validation (files, ext4 superblock, kernel) without the lock; the two inserts under it. Paths
     * only from a caller with bangerd's rights; uploads make a managed image (see {@link #registerUploaded}).
     */
    ImageInfo register(ImageApi.RegisterParams p, OperationContext ctx) {
        String name = Names.validate("image", p.name());
        boolean uploads = p.rootfsStream() != null || p.kernelStream() != null || p.initrdStream() != null;
        boolean paths = p.rootfs() != null || p.kernel() != null || p.initrd() != null;
        if (uploads && paths) {
            throw BangerException.badRequest("image register takes its files either all as paths (rootfs, kernel, initrd) "
                    + "or all as streams (rootfs_stream, kernel_stream, initrd_stream), not both");
        }
        boolean kernelFiles = p.kernel() != null || p.initrd() != null || p.kernelStream() != null || p.initrdStream() != null;
        if (p.kernelRef() != null && kernelFiles) {
            throw BangerException.badRequest("--kernel-ref cannot be combined with --kernel or --initrd: name an imported "
                    + "kernel, or give the kernel's files");
        }
        if (p.kernelRef() == null && p.kernel() == null && p.kernelStream() == null) {
            throw BangerException.badRequest(p.initrd() != null || p.initrdStream() != null ? "--initrd needs --kernel"
                    : "image register needs --kernel FILE (optionally with --initrd FILE) or --kernel-ref KERNEL");
        }
        if (uploads) {
            return registerUploaded(name, p, ctx);
        }
        ctx.client().requireHostPathRights("rootfs", "rootfs_stream");
        Path rootfs = userFile("--rootfs", p.rootfs());
        try {
            if (!Ext4Images.hasExt4Magic(rootfs)) {
                throw BangerException.badRequest("--rootfs " + rootfs + " is not an ext4 image (no ext4 superblock at byte 1080)");
            }
        } catch (IOException e) {
            throw BangerException.badRequest("--rootfs " + rootfs + " cannot be read: " + e.getMessage());
        }
        String id = Ids.newId();
        KernelInfo kernel;
        KernelInfo companion = null;
        if (p.kernelRef() != null) {
            kernel = importedKernel(p.kernelRef());
        } else {
            Path vmlinuz = userFile("--kernel", p.kernel());
            Path initrd = p.initrd() == null ? null : userFile("--initrd", p.initrd());
            companion = new KernelInfo(Ids.newId(), companionName(name), null, null, "x86_64", vmlinuz.getParent().toString(),
                    vmlinuz.toString(), null, initrd == null ? null : initrd.toString(), null, false, "image:" + id, null,
                    clock.instant());
            kernel = companion;
        }
        ImageInfo image = new ImageInfo(id, name, "file:" + rootfs, null, null, "amd64", null, rootfs.toString(), null,
                kernel.id(), kernel.name(), false, size(rootfs), clock.instant());
        KernelInfo newKernel = companion;
        return publisher.underLock(c -> {
            requireNamesFree(c, name, newKernel == null ? null : newKernel.name());
            if (newKernel != null) {
                KernelRows.insert(c, newKernel);
            }
            ImageRows.insert(c, image);
            return image;
        });
    }

    /**
     * {@code image register} with the files' bytes uploaded (every caller but root): bangerd cannot
     * keep re-opening a path the caller controls at each boot (it could become a link to a file only
     * root may read), so the files are copied in, as {@code image promote} would: a managed image,
     * with a work-seed, and a managed companion kernel when the kernel came as files.
     */
    private ImageInfo registerUploaded(String name, ImageApi.RegisterParams p, OperationContext ctx) {
        if (p.rootfsStream() == null) {
            throw BangerException.badRequest("image register with streams needs rootfs_stream");
        }
        String kernelName = p.kernelRef() == null ? companionName(name) : null;
        String source = Uploads.source("file:", p.label());
        publisher.underLock(c -> {
            requireNamesFree(c, name, kernelName); // before the upload: it may be gigabytes
            return null;
        });
        KernelInfo imported = p.kernelRef() == null ? null : importedKernel(p.kernelRef());
        InputStream rootfsIn = Uploads.claim(ctx, p.rootfsStream());
        InputStream kernelIn = p.kernelStream() == null ? null : Uploads.claim(ctx, p.kernelStream());
        InputStream initrdIn = p.initrdStream() == null ? null : Uploads.claim(ctx, p.initrdStream());
        Path staging = publisher.newStagingDir("register-" + name);
        try {
            Path dir = Files.createDirectory(staging.resolve("image"));
            ctx.progress("receive rootfs");
            Path rootfs = Uploads.save(rootfsIn, "--rootfs", dir.resolve(BundleReader.ROOTFS));
            if (!Ext4Images.hasExt4Magic(rootfs)) {
                throw BangerException.badRequest("--rootfs is not an ext4 image (no ext4 superblock at byte 1080)");
            }
            String id = Ids.newId();
            Path kernelStaging = null;
            KernelInfo kernel = imported;
            if (kernelIn != null) {
                ctx.progress("receive kernel");
                kernelStaging = Files.createDirectory(staging.resolve("kernel"));
                Uploads.save(kernelIn, "--kernel", kernelStaging.resolve("vmlinuz"));
                if (initrdIn != null) {
                    Uploads.save(initrdIn, "--initrd", kernelStaging.resolve("initrd.img"));
                }
                Path kdir = layout.kernelsDir().resolve(kernelName);
                kernel = new KernelInfo(Ids.newId(), kernelName, null, null, "x86_64", kdir.toString(),
                        kdir.resolve("vmlinuz").toString(), null, initrdIn == null ? null : kdir.resolve("initrd.img").toString(),
                        null, true, "image:" + id, null, clock.instant());
            }
            ctx.checkCancelled();
            ctx.progress("build work-seed");
            boolean seeded = workSeeds.buildFromImage(rootfs, staging.resolve("seed"), dir.resolve(BundleReader.WORK_SEED), name);
            ctx.checkCancelled();
            ctx.progress("publish");
            Path finalDir = layout.imagesDir().resolve(id);
            ImageInfo image = new ImageInfo(id, name, source, null, null, "amd64", finalDir.toString(),
                    finalDir.resolve(BundleReader.ROOTFS).toString(), seeded ? finalDir.resolve(BundleReader.WORK_SEED).toString() : null,
                    kernel.id(), kernel.name(), true, size(rootfs), clock.instant());
            KernelInfo newKernel = kernelIn == null ? null : kernel;
            List<ImagePublisher.Move> moves = new ArrayList<>();
            if (newKernel != null) {
                moves.add(new ImagePublisher.Move(kernelStaging, Path.of(newKernel.dir())));
            }
            moves.add(new ImagePublisher.Move(dir, finalDir));
            return publisher.publish(c -> requireNamesFree(c, name, newKernel == null ? null : newKernel.name()), moves, c -> {
                if (newKernel != null) {
                    KernelRows.insert(c, newKernel);
                }
                ImageRows.insert(c, image);
                return image;
            });
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "register of " + name + " failed: " + e.getMessage(), e);
        } finally {
            Uploads.closeQuietly(rootfsIn, kernelIn, initrdIn);
            FileTrees.deleteQuietly(staging);
        }
    }

    private static String companionName(String image) {
        return Names.validate("kernel", image + COMPANION_SUFFIX);
    }

    private KernelInfo importedKernel(String ref) {
        return store.kernels().find(ref).orElseThrow(() -> BangerException.notFound("kernel '" + ref
                + "' is not imported (see `banger kernel list`)"));
    }

    /** The image's name, and its companion kernel's (null: none) when register makes one. */
    private static void requireNamesFree(Connection c, String image, String companion) throws SQLException {
        ImagePublisher.requireImageNameFree(c, image);
        if (companion != null && KernelRows.byName(c, companion).isPresent()) {
            throw new BangerException(ErrorCode.ALREADY_EXISTS, "kernel '" + companion + "' already exists; "
                    + "register --kernel records the files as a kernel of that name: delete it, or use --kernel-ref "
                    + companion);
        }
    }

    /** The copy (and a work-seed, when the image has none) without the lock; the rename and row swap under it. */
    ImageInfo promote(String ref, OperationContext ctx) {
        ImageInfo before = store.images().find(ref).orElseThrow(() -> BangerException.notFound("image '" + ref + "' not found"));
        if (before.managed()) {
            throw BangerException.badRequest("image " + before.name() + " is already managed (its files are in "
                    + before.dir() + "); promote is for images added with `image register`");
        }
        Path rootfs = Path.of(before.rootfsPath());
        if (!Files.isRegularFile(rootfs)) {
            throw BangerException.notFound("the rootfs of image " + before.name() + ", " + rootfs + ", is gone");
        }
        Path staging = publisher.newStagingDir("promote-" + before.name());
        try {
            Path dir = Files.createDirectory(staging.resolve("image"));
            ctx.progress("copy rootfs");
            copy(rootfs, dir.resolve(BundleReader.ROOTFS));
            ctx.checkCancelled();
            boolean seeded;
            if (before.workSeedPath() != null && Files.isRegularFile(Path.of(before.workSeedPath()))) {
                ctx.progress("copy work-seed");
                copy(Path.of(before.workSeedPath()), dir.resolve(BundleReader.WORK_SEED));
                seeded = true;
            } else {
                ctx.progress("build work-seed");
                seeded = workSeeds.buildFromImage(dir.resolve(BundleReader.ROOTFS), staging.resolve("seed"),
                        dir.resolve(BundleReader.WORK_SEED), before.name());
            }
            ctx.checkCancelled();
            ctx.progress("publish");
            Path finalDir = layout.imagesDir().resolve(before.id());
            ImageInfo after = new ImageInfo(before.id(), before.name(), before.source(), before.digest(), before.distro(),
                    before.arch(), finalDir.toString(), finalDir.resolve(BundleReader.ROOTFS).toString(),
                    seeded ? finalDir.resolve(BundleReader.WORK_SEED).toString() : null, before.kernelId(), before.kernelName(),
                    true, size(dir.resolve(BundleReader.ROOTFS)), before.createdAt());
            ImagePublisher.makePrivate(dir);
            return publisher.publish(c -> {
                Optional<ImageInfo> now = ImageRows.byName(c, before.name());
                if (now.isEmpty() || !now.get().id().equals(before.id())) {
                    throw BangerException.notFound("image " + before.name() + " was deleted while it was being promoted");
                }
                if (now.get().managed()) {
                    throw BangerException.badRequest("image " + before.name() + " was promoted meanwhile by another request");
                }
            }, List.of(new ImagePublisher.Move(dir, finalDir)), c -> {
                ImageRows.markManaged(c, after);
                return after;
            });
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "promote of " + before.name() + " failed: " + e.getMessage(), e);
        } finally {
            FileTrees.deleteQuietly(staging);
        }
    }

    /**
     * Called in the transaction that deletes {@code image}'s row: drops its companion kernel's row
     * when nothing else boots it, and returns it (the caller removes a managed one's files after
     * the transaction). Files of unmanaged kernels are never touched.
     */
    static Optional<KernelInfo> dropCompanionKernel(Connection c, ImageInfo image) throws SQLException {
        if (image.kernelName() == null) {
            return Optional.empty();
        }
        Optional<KernelInfo> k = KernelRows.byName(c, image.kernelName());
        if (k.isPresent() && ("image:" + image.id()).equals(k.get().source())
                && KernelRows.imagesUsing(c, k.get().id()).isEmpty()) {
            KernelRows.delete(c, k.get().id());
            return k;
        }
        return Optional.empty();
    }

    private void copy(Path from, Path to) {
        try {
            runner.run(Command.of("cp", "--reflink=auto", "--sparse=always", "--", from.toString(), to.toString())
                    .withTimeout(COPY_TIMEOUT));
        } catch (CommandFailedException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot copy " + from + ": " + e.getMessage(), e);
        }
    }

    /** An absolute path to an existing regular file (not a device: a VM must never get the host's disk). */
    private static Path userFile(String flag, String path) {
        if (path == null || path.isBlank()) {
            throw BangerException.badRequest(flag + " is required");
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            throw BangerException.badRequest(flag + " " + path + " is not an absolute path");
        }
        if (!Files.exists(p)) {
            throw BangerException.notFound(flag + " " + path + " does not exist");
        }
        if (!Files.isRegularFile(p)) {
            throw BangerException.badRequest(flag + " " + path + " is not a regular file");
        }
        return p.normalize();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
