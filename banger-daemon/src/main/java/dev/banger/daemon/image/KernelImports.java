package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.UnpackLimits;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.core.api.KernelApi.KernelImportParams;
import dev.banger.daemon.image.kernel.DebKernelImporter;
import dev.banger.daemon.image.layers.LayerFlattener;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Ids;
import dev.banger.daemon.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * {@code kernel import}: a prepared directory or a Debian linux-image package made into a kernel
 * entry in a staging dir, with no lock held, then published through
 * {@link ImagePublisher#publishKernel} (the only part under imageOpsMu).
 */
final class KernelImports {

    private final ImagePublisher publisher;
    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;
    private final Clock clock;
    private final DebKernelImporter debImporter;
    /** Caps on an uploaded kernel directory, as on an image: a member's upload cannot fill the disk unchecked. */
    private final UnpackLimits unpackLimits;

    KernelImports(ImagePublisher publisher, Store store, CommandRunner runner, Layout layout, Clock clock, DebKernelImporter debImporter,
                  UnpackLimits unpackLimits) {
        this.publisher = publisher;
        this.store = store;
        this.runner = runner;
        this.layout = layout;
        this.clock = clock;
        this.debImporter = debImporter;
        this.unpackLimits = unpackLimits;
    }

    KernelInfo importKernel(KernelImportParams p, OperationContext ctx) {
        String name = Names.validate("kernel", p.name());
        long sources = Stream.of(p.from(), p.deb(), p.fromStream(), p.debStream()).filter(Objects::nonNull).count();
        if (sources != 1) {
            throw BangerException.badRequest("kernel import needs exactly one of --from DIR (a directory with vmlinuz) "
                    + "and --deb FILE (a Debian linux-image package)");
        }
        if (store.kernels().find(name).isPresent()) {
            throw ImagePublisher.alreadyExists("kernel", name); // before an upload of 100 MB
        }
        if (p.deb() != null) {
            ctx.client().requireHostPathRights("deb", "deb_stream");
            Path deb = DebKernelImporter.checkedPath(p.deb());
            return importDeb(name, deb, p.version(), p.distro(), "deb:" + deb.getFileName(), ctx);
        }
        if (p.debStream() != null) {
            return importUploadedDeb(name, p, ctx);
        }
        if (p.from() != null) {
            ctx.client().requireHostPathRights("from", "from_stream");
            Path from = Path.of(p.from());
            if (!from.isAbsolute() || !Files.isDirectory(from)) {
                throw BangerException.badRequest("kernel import: --from " + p.from() + " is not an absolute path to a directory");
            }
            return importDir(name, from, "dir:" + from, p, ctx);
        }
        String source = Uploads.source("dir:", p.label());
        InputStream tar = Uploads.claim(ctx, p.fromStream());
        Path upload = publisher.newStagingDir("kernel-upload-" + name);
        try {
            Path tree = Files.createDirectory(upload.resolve("tree"));
            ctx.progress("receive kernel files");
            try (tar) {
                unpackUntrusted(tar, tree);
            }
            return importDir(name, tree, source, p, ctx);
        } catch (IOException | RuntimeException e) {
            NoSpaceException.throwIfFull(e, upload, "receiving the files of kernel " + name);
            if (e instanceof RuntimeException unchanged) {
                throw unchanged;
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel import " + name + " failed: " + e.getMessage(), e);
        } finally {
            FileTrees.deleteQuietly(upload);
        }
    }

    /** A prepared kernel directory ({@code from}: root's, or an unpacked upload) copied into a staging dir, published. */
    private KernelInfo importDir(String name, Path from, String source, KernelImportParams p, OperationContext ctx) {
        String shown = p.from() != null ? from.toString() : "the directory";
        if (!Files.isRegularFile(from.resolve("vmlinuz"), LinkOption.NOFOLLOW_LINKS)) {
            throw BangerException.badRequest("kernel import: " + shown + " has no vmlinuz (a regular file, not a link)");
        }
        // What boots is opened by path at every start: a link there could lead anywhere.
        for (String part : List.of("vmlinux", "initrd.img", "modules")) {
            Path f = from.resolve(part);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && (part.equals("modules")
                    ? !Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS) : !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))) {
                throw BangerException.badRequest("kernel import: " + part + " in " + shown + " must be a "
                        + (part.equals("modules") ? "directory" : "regular file") + ", not a link or anything else");
            }
        }
        Path staging = publisher.newStagingDir("kernel-" + name);
        try {
            ctx.progress("copy kernel files");
            for (String part : List.of("vmlinuz", "vmlinux", "initrd.img", "modules")) {
                if (Files.exists(from.resolve(part), LinkOption.NOFOLLOW_LINKS)) {
                    runner.run(Command.of("cp", "-a", "--reflink=auto", from.resolve(part).toString(), staging.toString()));
                }
            }
            Path dir = layout.kernelsDir().resolve(name);
            KernelInfo k = new KernelInfo(Ids.newId(), name, p.version(), p.distro(), "x86_64", dir.toString(),
                    dir.resolve("vmlinuz").toString(), existing(staging, dir, "vmlinux"), existing(staging, dir, "initrd.img"),
                    existing(staging, dir, "modules"), true, source, null, clock.instant());
            ctx.progress("publish");
            return publisher.publishKernel(staging, k);
        } catch (RuntimeException e) {
            NoSpaceException.throwIfFull(e, staging, "copying the files of kernel " + name);
            throw e;
        } finally {
            FileTrees.deleteQuietly(staging);
        }
    }

    /**
     * An uploaded tar of a kernel directory: untrusted content, unpacked as root by the layer
     * flattener (which refuses {@code ..}, absolute names, links through or out of the tree, and
     * never creates devices), then refused whole if it held what a kernel directory never does:
     * device nodes or fifos, a symbolic link that is absolute or climbs with {@code ..}, a setuid or
     * setgid file.
     */
    private void unpackUntrusted(InputStream tar, Path tree) {
        LayerFlattener flattener = new LayerFlattener(tree, false, unpackLimits);
        flattener.apply(tar, "kernel directory");
        if (flattener.finish().skippedSpecial() > 0) {
            throw BangerException.badRequest("kernel import: the directory holds device nodes or fifos, which a kernel "
                    + "directory never does");
        }
        try (Stream<Path> all = Files.walk(tree)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String rel = tree.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    // Only links down from their own directory: a chain of such links cannot climb out of the tree
                    // (a lexical check of '..' could be fooled by a link that points up).
                    Path target = Files.readSymbolicLink(p);
                    boolean climbs = false;
                    for (Path c : target) {
                        climbs |= c.toString().equals("..");
                    }
                    if (target.isAbsolute() || climbs) {
                        throw BangerException.badRequest("kernel import: " + rel + " is a symbolic link out of the directory ("
                                + target + "): links in a kernel directory must point down, without '..'");
                    }
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && (((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 06000) != 0) {
                    throw BangerException.badRequest("kernel import: " + rel + " is setuid or setgid, which a kernel file never is");
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot check the unpacked kernel directory: " + e.getMessage(), e);
        }
    }

    /** {@code deb_stream}: the package received into a staging dir of its own, then as {@link #importDeb}. */
    private KernelInfo importUploadedDeb(String name, KernelImportParams p, OperationContext ctx) {
        String source = Uploads.source("deb:", p.label() == null ? null : p.label().substring(p.label().lastIndexOf('/') + 1));
        InputStream in = Uploads.claim(ctx, p.debStream());
        Path upload = publisher.newStagingDir("kernel-upload-" + name);
        try {
            ctx.progress("receive package");
            Path deb = Uploads.save(in, "--deb", upload.resolve("kernel.deb"));
            return importDeb(name, deb, p.version(), p.distro(), source, ctx);
        } finally {
            FileTrees.deleteQuietly(upload);
        }
    }

    /** A .deb as kernel {@code name}: DebKernelImporter's work, in a staging dir with no lock held; then the usual publish. */
    KernelInfo importDeb(String name, Path deb, String version, String distro, String source, OperationContext ctx) {
        if (store.kernels().find(name).isPresent()) {
            throw ImagePublisher.alreadyExists("kernel", name);
        }
        Path staging = publisher.newStagingDir("kernel-" + name);
        try {
            DebKernelImporter.Result r = debImporter.build(deb, staging, version, ctx);
            Path dir = layout.kernelsDir().resolve(name);
            KernelInfo k = new KernelInfo(Ids.newId(), name, r.version(), distro != null ? distro : "debian", "x86_64",
                    dir.toString(), dir.resolve("vmlinuz").toString(), existing(staging, dir, "vmlinux"),
                    dir.resolve("initrd.img").toString(), dir.resolve("modules").toString(), true,
                    source, r.sha256(), clock.instant());
            ctx.progress("publish");
            return publisher.publishKernel(staging, k);
        } catch (RuntimeException e) {
            NoSpaceException.throwIfFull(e, staging, "unpacking the package of kernel " + name);
            throw e;
        } finally {
            FileTrees.deleteQuietly(staging);
        }
    }

    private static String existing(Path staging, Path dir, String part) {
        return Files.exists(staging.resolve(part)) ? dir.resolve(part).toString() : null;
    }
}
