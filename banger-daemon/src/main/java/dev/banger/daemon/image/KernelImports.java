package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.model.KernelInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.image.ImageService.KernelImportParams;
import dev.banger.daemon.image.kernel.DebKernelImporter;
import dev.banger.daemon.ops.OperationContext;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * {@code kernel import}: a prepared directory or a Debian linux-image package made into a kernel
 * entry in a staging dir, with no lock held, then published through
 * {@link ImageService#publishKernel} (the only part under imageOpsMu).
 */
final class KernelImports {

    private final ImageService images;
    private final Store store;
    private final CommandRunner runner;
    private final Layout layout;
    private final Clock clock;
    private final DebKernelImporter debImporter;

    KernelImports(ImageService images, Store store, CommandRunner runner, Layout layout, Clock clock, DebKernelImporter debImporter) {
        this.images = images;
        this.store = store;
        this.runner = runner;
        this.layout = layout;
        this.clock = clock;
        this.debImporter = debImporter;
    }

    KernelInfo importKernel(KernelImportParams p, OperationContext ctx) {
        String name = Names.validate("kernel", p.name());
        if ((p.from() == null) == (p.deb() == null)) {
            throw BangerException.badRequest("kernel import needs exactly one of --from DIR (a directory with vmlinuz) "
                    + "and --deb FILE (a Debian linux-image package)");
        }
        if (p.deb() != null) {
            return importDebKernel(name, p, ctx);
        }
        Path from = Path.of(p.from());
        if (!from.isAbsolute() || !Files.isDirectory(from)) {
            throw BangerException.badRequest("kernel import: --from " + p.from() + " is not an absolute path to a directory");
        }
        if (!Files.isRegularFile(from.resolve("vmlinuz"))) {
            throw BangerException.badRequest("kernel import: " + from + " has no vmlinuz");
        }
        if (store.kernels().find(name).isPresent()) {
            throw ImageService.alreadyExists("kernel", name);
        }
        Path staging = images.newStagingDir("kernel-" + name);
        try {
            ctx.progress("copy kernel files");
            for (String part : List.of("vmlinuz", "vmlinux", "initrd.img", "modules")) {
                if (Files.exists(from.resolve(part), LinkOption.NOFOLLOW_LINKS)) {
                    runner.run(Command.of("cp", "-a", "--reflink=auto", from.resolve(part).toString(), staging.toString()));
                }
            }
            Path dir = layout.kernelsDir().resolve(name);
            KernelInfo k = new KernelInfo(ImageService.newId(), name, p.version(), p.distro(), "x86_64", dir.toString(),
                    dir.resolve("vmlinuz").toString(), existing(staging, dir, "vmlinux"), existing(staging, dir, "initrd.img"),
                    existing(staging, dir, "modules"), true, "dir:" + from, null, clock.instant());
            ctx.progress("publish");
            return images.publishKernel(staging, k);
        } finally {
            images.deleteTreeQuietly(staging);
        }
    }

    /** {@code --deb}: see {@link #importDeb}. */
    private KernelInfo importDebKernel(String name, KernelImportParams p, OperationContext ctx) {
        Path deb = DebKernelImporter.checkedPath(p.deb());
        return importDeb(name, deb, p.version(), p.distro(), "deb:" + deb.getFileName(), ctx);
    }

    /** A .deb as kernel {@code name}: DebKernelImporter's work, in a staging dir with no lock held; then the usual publish. */
    KernelInfo importDeb(String name, Path deb, String version, String distro, String source, OperationContext ctx) {
        if (store.kernels().find(name).isPresent()) {
            throw ImageService.alreadyExists("kernel", name);
        }
        Path staging = images.newStagingDir("kernel-" + name);
        try {
            DebKernelImporter.Result r = debImporter.build(deb, staging, version, ctx);
            Path dir = layout.kernelsDir().resolve(name);
            KernelInfo k = new KernelInfo(ImageService.newId(), name, r.version(), distro != null ? distro : "debian", "x86_64",
                    dir.toString(), dir.resolve("vmlinuz").toString(), existing(staging, dir, "vmlinux"),
                    dir.resolve("initrd.img").toString(), dir.resolve("modules").toString(), true,
                    source, r.sha256(), clock.instant());
            ctx.progress("publish");
            return images.publishKernel(staging, k);
        } finally {
            images.deleteTreeQuietly(staging);
        }
    }

    private static String existing(Path staging, Path dir, String part) {
        return Files.exists(staging.resolve(part)) ? dir.resolve(part).toString() : null;
    }
}
