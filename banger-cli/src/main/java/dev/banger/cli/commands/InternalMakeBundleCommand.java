package dev.banger.cli.commands;

import dev.banger.core.api.ImageApi;
import dev.banger.core.api.ImageApi.BundleMade;
import dev.banger.core.api.ImageApi.BundleMakeParams;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.units.Sizes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "make-bundle", description = {
        "Build an image bundle (.tar.zst: rootfs.ext4, work-seed.ext4, manifest.json) from a rootfs tar, e.g. `docker export`.",
        "bangerd does the work (guest files, ext4, work-seed); the tar is read and --out written with your rights. Prints the bundle's sha256."})
public final class InternalMakeBundleCommand implements Callable<Integer> {

    private final Invocation inv;

    InternalMakeBundleCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Option(names = "--rootfs-tar", paramLabel = "TAR", required = true, description = "Root filesystem as a tar (plain, gzip or zstd).")
    Path rootfsTar;

    @Option(names = "--name", required = true, description = "Image name recorded in the manifest.")
    String name;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", required = true, description = "Kernel VMs from the bundle boot (imported where it is pulled).")
    String kernelRef;

    @Option(names = "--distro", description = "Distribution, recorded in the manifest, e.g. debian.")
    String distro;

    @Option(names = "--size", description = "Size of rootfs.ext4, e.g. 4G (default: content x 1.5, at least 1G).")
    String size;

    @Option(names = "--out", paramLabel = "FILE.tar.zst", required = true, description = "Where to write the bundle (must not exist).")
    Path out;

    /** A new file, created with the user's rights: never overwriting, never through a link. */
    private static OutputStream create(Path target) {
        try {
            return Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (FileAlreadyExistsException e) {
            throw new BangerException(ErrorCode.ALREADY_EXISTS, "--out " + target + " already exists; bundles are never overwritten");
        } catch (NoSuchFileException e) {
            throw BangerException.notFound("--out " + target + ": directory " + target.getParent() + " does not exist");
        } catch (AccessDeniedException e) {
            throw new BangerException(ErrorCode.UNAUTHORIZED, "--out " + target + ": permission denied (banger writes the "
                    + "bundle with your own rights)");
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot create --out " + target + ": " + e.getMessage());
        }
    }

    @Override
    public Integer call() {
        if (size != null) {
            Sizes.parse("--size", size);
        }
        Path target = out.toAbsolutePath().normalize();
        BundleMade b;
        try (FileStreams files = new FileStreams(inv); OutputStream sink = create(target)) {
            boolean kept = false;
            try {
                String tarStream = files.upload("--rootfs-tar", rootfsTar);
                b = inv.callWithProgress(ImageApi.BUNDLE_MAKE, new BundleMakeParams(null, name, kernelRef, distro, null, size,
                        tarStream, files.download(sink)));
                files.await();
                kept = true;
            } finally {
                if (!kept) {
                    files.close();
                    Files.deleteIfExists(target); // never a partial bundle
                }
            }
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot write --out " + target + ": " + e.getMessage());
        }
        BundleMade made = new BundleMade(target.toString(), b.sha256(), b.sizeBytes(), b.name(), b.kernelRef(), b.workSeed());
        inv.render(ImageApi.BUNDLE_MAKE, made, () -> {
            var t = inv.terminal();
            t.println("bundle  " + made.path() + " (" + Sizes.format(made.sizeBytes())
                    + (made.workSeed() ? ", with work-seed" : ", no work-seed") + ")");
            t.println("sha256  " + made.sha256());
            t.println("pull it with: banger image pull --bundle " + made.path() + " --sha256 " + made.sha256());
        });
        return 0;
    }
}
