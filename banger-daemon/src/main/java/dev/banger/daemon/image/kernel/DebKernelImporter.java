package dev.banger.daemon.image.kernel;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.Sha256;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kernel import --deb}: turns a Debian linux-image package into the files of a kernel entry,
 * in a directory the caller publishes: {@code vmlinuz} (as shipped), {@code vmlinux} (cut out of
 * it, when possible), {@code initrd.img} (busybox + the virtio modules, see {@link InitramfsBuilder})
 * and {@code modules/VERSION/} (only the modules a microVM needs, with their modules.dep). Stages:
 * extract ({@link DebExtractor}), select modules ({@link ModuleSelector}), initramfs, vmlinux
 * ({@link VmlinuxExtractor}). Holds no lock; scratch space is {@code out/.work}, gone on return.
 */
public final class DebKernelImporter {

    private static final Logger log = LoggerFactory.getLogger(DebKernelImporter.class);
    private static final String WORK = ".work";

    /** What the package turned into: its kernel version, the .deb's sha256, and whether a vmlinux could be made. */
    public record Result(String version, String sha256, boolean vmlinux) {
    }

    private final DebExtractor extractor;
    private final ModuleSelector modules;
    private final InitramfsBuilder initramfs;
    private final VmlinuxExtractor vmlinux = new VmlinuxExtractor();

    public DebKernelImporter(CommandRunner runner) {
        this(runner, InitramfsBuilder.BUSYBOX);
    }

    /** {@code busybox}: a static busybox binary for the initramfs (tests point it elsewhere). */
    public DebKernelImporter(CommandRunner runner, Path busybox) {
        this.extractor = new DebExtractor(runner);
        this.modules = new ModuleSelector(runner);
        this.initramfs = new InitramfsBuilder(runner, busybox);
    }

    /** The {@code --deb} argument as a path: absolute, to a regular file; else a bad request. */
    public static Path checkedPath(String deb) {
        Path p = Path.of(deb);
        if (!p.isAbsolute() || !Files.isRegularFile(p)) {
            throw BangerException.badRequest("kernel import: --deb " + deb + " is not an absolute path to a file");
        }
        return p;
    }

    /**
     * Builds the kernel files from {@code deb} into {@code out} (an empty directory).
     *
     * @param expectedVersion the version the caller asked for, or null; a different one in the package is a bad request
     */
    public Result build(Path deb, Path out, String expectedVersion, OperationContext ctx) {
        Path work = out.resolve(WORK);
        try {
            ctx.progress("check package");
            DebExtractor.requireDeb(deb);
            // Host problems next, before unpacking 100 MB.
            initramfs.checkBusybox();
            HostTools.find("dpkg-deb", "dpkg");
            HostTools.find("depmod", "kmod");
            String sha256 = Sha256.ofFile(deb);
            ctx.checkCancelled();

            ctx.progress("extract package");
            DebExtractor.Extracted pkg = extractor.extract(deb, work.resolve("deb"));
            String version = pkg.version();
            if (expectedVersion != null && !expectedVersion.equals(version)) {
                throw BangerException.badRequest(deb.getFileName() + " holds kernel " + version + ", not " + expectedVersion
                        + " (leave out --kernel-version: it is read from the package)");
            }
            ctx.checkCancelled();

            ctx.progress("select modules");
            ModuleSelector.Selection selection = modules.select(version, pkg.modulesDir(), work.resolve("modules"),
                    out.resolve("modules"));
            log.info("kernel {}: initramfs modules in load order: {}", version,
                    selection.loadOrder().stream().map(ModulesDep.Module::name).toList());
            ctx.checkCancelled();

            ctx.progress("build initramfs");
            long mtime = Files.getLastModifiedTime(pkg.vmlinuz()).toMillis() / 1000;
            initramfs.build(version, selection.loadOrder(), selection.dir(), work.resolve("initramfs"),
                    out.resolve("initrd.img"), mtime);
            ctx.checkCancelled();

            ctx.progress("extract vmlinux");
            String why = vmlinux.extract(pkg.vmlinuz(), out.resolve("vmlinux"));
            if (why != null) {
                log.warn("kernel {} from {}: no vmlinux ({}); QEMU boots vmlinuz, Firecracker would need one",
                        version, deb.getFileName(), why);
            }
            Files.move(pkg.vmlinuz(), out.resolve("vmlinuz"), StandardCopyOption.ATOMIC_MOVE);
            ctx.checkCancelled();
            return new Result(version, sha256, why == null);
        } catch (IOException | UncheckedIOException | CommandFailedException e) {
            // A cancel interrupts this thread: a child process is killed, an NIO read fails with ClosedByInterrupt.
            if (ctx.isCancelled() || Thread.currentThread().isInterrupted()) {
                throw new BangerException(ErrorCode.CANCELLED, "kernel import from " + deb.getFileName() + " cancelled", e);
            }
            throw new BangerException(ErrorCode.OPERATION_FAILED, "kernel import from " + deb + " failed: " + e.getMessage(), e);
        } finally {
            // In Java, not `rm`: after a cancel the thread is interrupted and a child process would be killed at once.
            removeTree(work);
        }
    }

    /** The unpacked package and other scratch files (plain files, dirs and symlinks: no mounts in there). */
    private static void removeTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
