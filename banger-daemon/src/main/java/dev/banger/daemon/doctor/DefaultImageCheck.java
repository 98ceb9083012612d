package dev.banger.daemon.doctor;

import dev.banger.core.config.VmSettings;
import dev.banger.core.model.DoctorCheck;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.image.recipe.DebianRecipe;
import dev.banger.daemon.image.kernel.KernelCatalog;
import dev.banger.daemon.store.StoreSnapshot;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code vm create} without {@code --image} needs the default image ({@code default_image_name})
 * and its kernel: present; or, for a built-in image, the tools its first build runs (debootstrap,
 * apt); or else the command that pulls them (kernels from the kernel catalog).
 */
record DefaultImageCheck(VmSettings vm, StoreReading store, Supplier<KernelCatalog> catalog) implements Check {

    @Override
    public String name() {
        return "default image and kernel";
    }

    @Override
    public DoctorCheck run() {
        String name = vm.defaultImage();
        StoreSnapshot s = store.snapshot();
        if (s == null && !store.missing()) {
            return DoctorCheck.warn(name(), List.of("cannot tell: the state store cannot be read (" + store.problem() + ")"),
                    "see the state store row");
        }
        KernelCatalog c = catalog.get();
        String kernels = c.kernels().isEmpty() ? "none" : String.join(", ", c.kernels().stream().map(KernelCatalog.Entry::name).toList());
        Optional<StoreSnapshot.ImageSummary> image = s == null ? Optional.empty()
                : s.images().stream().filter(i -> i.name().equals(name)).findFirst();
        Optional<DebianRecipe> recipe = DebianRecipe.builtIn(name);
        if (image.isEmpty() && recipe.isPresent()) {
            return builtInNotYetBuilt(recipe.get());
        }
        if (image.isEmpty()) {
            String kernel = c.kernels().isEmpty() ? "KERNEL" : c.kernels().getFirst().name();
            return DoctorCheck.warn(name(), List.of("default_image_name = \"" + name + "\": not pulled yet, so `vm create` "
                            + "without --image fails", "kernel catalog (" + c.origin() + "): " + kernels),
                    "banger image pull OCI-REFERENCE --name " + name + " --kernel-ref " + kernel
                            + " (e.g. docker.io/library/debian:bookworm)",
                    "or set default_image_name in bangerd's config to an image you have (banger image list)");
        }
        String kernel = image.get().kernelName();
        if (kernel == null) {
            return DoctorCheck.fail(name(), List.of(name + ": present, but has no kernel, so it cannot boot"),
                    "pull it again with --kernel-ref (kernel catalog: " + kernels + ")");
        }
        return DoctorCheck.pass(name(), name + ": present, kernel " + kernel);
    }

    /** The first create builds it: fine when debootstrap (the image) and apt-get (its kernel) are here. */
    private DoctorCheck builtInNotYetBuilt(DebianRecipe r) {
        String line = r.name() + ": built in, not built yet: the first `vm create` without --image builds it (debootstrap "
                + "of Debian " + r.suite() + ", a few minutes) and its kernel " + r.kernelRef() + " (through apt)";
        if (HostPrograms.locate("debootstrap").isEmpty()) {
            return DoctorCheck.fail(name(), List.of(line, "debootstrap is not installed"), "apt-get install debootstrap");
        }
        if (HostPrograms.locate("apt-get").isEmpty()) {
            return DoctorCheck.fail(name(), List.of(line, "apt-get is not installed: kernel " + r.kernelRef() + " comes through apt"),
                    "banger kernel import " + r.kernelRef() + " --deb FILE (a Debian linux-image package)");
        }
        return DoctorCheck.pass(name(), line);
    }
}
