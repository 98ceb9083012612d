package dev.banger.daemon.image;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.units.Sizes;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.fs.NoSpaceException;
import dev.banger.daemon.image.layers.FlattenResult;
import dev.banger.daemon.image.rootfs.DebugfsFixups;
import dev.banger.daemon.image.rootfs.Ext4Builder;
import dev.banger.daemon.image.rootfs.GuestInjector;
import dev.banger.daemon.ops.OperationContext;
import java.nio.file.Path;

/** bangerd's {@link FinalizePulledRootfs}: guest files in, ext4 out, then what only debugfs can set. */
final class RootfsFinalizer implements FinalizePulledRootfs {

    private final Ext4Builder ext4;
    private final CommandRunner runner;

    RootfsFinalizer(Ext4Builder ext4, CommandRunner runner) {
        this.ext4 = ext4;
        this.runner = runner;
    }

    @Override
    public void finish(Path tree, PulledTree pulled, Path rootfsImage, Long sizeBytes, String imageName,
                OperationContext ctx) {
        ctx.progress("inject guest init");
        GuestInjector.inject(tree, imageName);
        FlattenResult f = pulled.flatten();
        long minimum = Ext4Builder.minimumSize(f.contentBytes(), f.inodes());
        if (sizeBytes != null && sizeBytes < minimum) {
            throw BangerException.badRequest("--size " + Sizes.format(sizeBytes) + " is too small for this image: it needs at least "
                    + Sizes.format(minimum));
        }
        long size = sizeBytes != null ? sizeBytes : Math.max(Ext4Builder.rootfsSize(f.contentBytes()), minimum);
        ctx.progress("build rootfs.ext4", 0, size);
        try {
            ext4.build(tree, rootfsImage, size, f.inodes() + 16, "rootfs");
            if (!f.fixups().isEmpty()) {
                ctx.progress("set owners and capabilities");
                DebugfsFixups.apply(runner, rootfsImage, f.fixups());
            }
        } catch (RuntimeException e) {
            NoSpaceException.throwIfFull(e, rootfsImage, "building the root filesystem of image " + imageName);
            throw e;
        }
    }
}
