package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.DaemonUser;
import dev.banger.daemon.image.bundle.BundleFetcher;
import dev.banger.daemon.image.rootfs.Ext4Builder;
import dev.banger.daemon.image.rootfs.Ext4WorkSeedBuilder;
import dev.banger.daemon.image.rootfs.WorkSeedBuilder;

/**
 * The steps of making an image that a test replaces by passing its own to ImageService's
 * constructor: the registry fetch and flatten, the ext4 build, the work-seed, a bundle's fetch,
 * and where layers unpack. {@link #real} are bangerd's.
 */
record ImageSteps(OciPull oci, PullAndFlatten pullAndFlatten, FinalizePulledRootfs finalizer, WorkSeedBuilder workSeedBuilder,
                  BundleFetch bundleFetch, ScratchSpace scratch) {

    static ImageSteps real(CommandRunner runner, Layout layout, Config config) {
        OciPull oci = new OciPull(config, layout, DaemonUser.isRoot());
        Ext4Builder ext4 = new Ext4Builder(runner);
        return new ImageSteps(oci, OciPull.Session::fetchAndFlatten, new RootfsFinalizer(ext4, runner), new Ext4WorkSeedBuilder(ext4),
                new BundleFetcher(runner)::fetch, ScratchSpace.forState(layout));
    }

    ImageSteps withPullAndFlatten(PullAndFlatten p) {
        return new ImageSteps(oci, p, finalizer, workSeedBuilder, bundleFetch, scratch);
    }

    ImageSteps withFinalizer(FinalizePulledRootfs f) {
        return new ImageSteps(oci, pullAndFlatten, f, workSeedBuilder, bundleFetch, scratch);
    }

    ImageSteps withWorkSeedBuilder(WorkSeedBuilder w) {
        return new ImageSteps(oci, pullAndFlatten, finalizer, w, bundleFetch, scratch);
    }

    ImageSteps withBundleFetch(BundleFetch b) {
        return new ImageSteps(oci, pullAndFlatten, finalizer, workSeedBuilder, b, scratch);
    }

    ImageSteps withScratch(ScratchSpace s) {
        return new ImageSteps(oci, pullAndFlatten, finalizer, workSeedBuilder, bundleFetch, s);
    }
}
