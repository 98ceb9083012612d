package dev.banger.daemon.image;

import dev.banger.core.Layout;
import dev.banger.core.config.Config;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.DaemonUser;
import dev.banger.daemon.image.kernel.AptKernelPackages;
import dev.banger.daemon.image.kernel.DebKernelImporter;
import dev.banger.daemon.image.recipe.Debootstrap;
import dev.banger.daemon.image.recipe.HostDebianMirror;
import dev.banger.daemon.image.rootfs.Ext4Extractor;
import dev.banger.daemon.store.Store;
import java.time.Clock;

/**
 * The parts behind ImageService, each given what it uses ({@link #wire}): the publisher, the
 * work-seed builder and the steps are shared; no part sees the service.
 */
record ImageParts(ImagePublisher publisher, WorkSeeds workSeeds, ImageSteps steps, BuiltRootfsCache builtRootfs,
                  BundleImages bundles, UnmanagedImages unmanaged, KernelImports kernelImports, CatalogKernels catalogKernels,
                  RecipeImages recipes) {

    static ImageParts wire(Store store, CommandRunner runner, Layout layout, Config config, Clock clock, ImageSteps steps) {
        ImagePublisher publisher = new ImagePublisher(store, layout);
        WorkSeeds workSeeds = new WorkSeeds(steps.workSeedBuilder(),
                new Ext4Extractor(Ext4Extractor.Limits.DEFAULT, DaemonUser.isRoot()));
        BuiltRootfsCache builtRootfs = new BuiltRootfsCache(layout, runner);
        KernelImports kernelImports = new KernelImports(publisher, store, runner, layout, clock, new DebKernelImporter(runner),
                config.unpack());
        AptKernelPackages apt = new AptKernelPackages(runner, layout.cacheDir().resolve("apt"),
                layout.kernelCacheDir().resolve("apt"), config.debian().kernelAptSources());
        return new ImageParts(publisher, workSeeds, steps, builtRootfs,
                new BundleImages(publisher, workSeeds, steps.finalizer(), steps.bundleFetch(), store, clock, DaemonUser.isRoot(),
                        config.unpack()),
                new UnmanagedImages(publisher, workSeeds, store, runner, layout, clock),
                kernelImports,
                new CatalogKernels(kernelImports, store, layout, config.kernelCatalog(), apt),
                new RecipeImages(publisher, workSeeds, steps.finalizer(), new Debootstrap(runner), config.debian(),
                        HostDebianMirror.ETC_APT, builtRootfs, clock));
    }
}
