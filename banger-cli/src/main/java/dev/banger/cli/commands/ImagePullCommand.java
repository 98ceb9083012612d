package dev.banger.cli.commands;

import dev.banger.cli.registry.DockerCredentials;
import dev.banger.core.api.ImageApi;
import dev.banger.core.api.RegistryLogin;
import dev.banger.core.model.ImageInfo;
import dev.banger.core.units.Sizes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull", description = {
        "Pull an OCI image and make it a bootable VM image (ext4 rootfs, banger's guest init, /root work-seed).",
        "REF: registry/repo:tag, repo@sha256:..., or a Docker Hub short form such as debian:bookworm.",
        "Or a built-in image, which bangerd builds itself: debian-bookworm (debootstrap from the host's Debian mirror).",
        "Or a bundle (.tar.zst/.tar.gz with rootfs.ext4 and manifest.json, e.g. from make-bundle): --bundle URL|FILE --sha256 HEX",
        "(bangerd fetches a URL; a FILE is read with your rights and sent to it)."})
public final class ImagePullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "REF", arity = "0..1", description = "Image reference (not with --bundle).")
    String ref;

    @Option(names = "--bundle", paramLabel = "URL|FILE", description = "Pull a bundle instead: an http(s) URL or a file.")
    String bundle;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The bundle's sha256 (required with --bundle).")
    String sha256;

    @Option(names = "--name", description = "Name of the banger image (default: repository and tag, e.g. debian-bookworm).")
    String name;

    @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "Kernel VMs from this image boot: an imported one, or a kernel catalog entry (see `banger kernel list --available`), pulled first.")
    String kernelRef;

    @Option(names = "--size", description = "Size of the rootfs, e.g. 4G (default: content x 1.5, at least 1G).")
    String size;

    @Override
    public Integer call() {
        if (bundle != null) {
            return pullBundle();
        }
        if (ref == null) {
            throw new ParameterException(spec.commandLine(), "Missing required parameter: 'REF' (or --bundle URL|FILE)");
        }
        if (size != null) {
            Sizes.parse("--size", size); // refuse before contacting the daemon
        }
        Invocation inv = Invocation.of(spec);
        ImageInfo image = inv.callWithProgress(ImageApi.PULL, new ImageApi.PullParams(ref, name, kernelRef, size, login(inv)));
        inv.render(ImageApi.PULL, image, () -> ImageListCommand.describe(inv, image));
        return 0;
    }

    private int pullBundle() {
        if (ref != null || kernelRef != null || size != null) {
            throw new ParameterException(spec.commandLine(), "--bundle takes no REF, --kernel-ref or --size: the bundle's "
                    + "manifest names its kernel, and its rootfs.ext4 is used as it is");
        }
        if (sha256 == null) {
            throw new ParameterException(spec.commandLine(), "--bundle needs --sha256 HEX (the bundle is checked against it)");
        }
        String lower = bundle.toLowerCase(java.util.Locale.ROOT);
        Invocation inv = Invocation.of(spec);
        ImageInfo image;
        if (lower.startsWith("http://") || lower.startsWith("https://") || bundle.contains("://")) {
            image = inv.callWithProgress(ImageApi.BUNDLE_PULL, new ImageApi.BundlePullParams(bundle, sha256, name));
        } else {
            Path file = Path.of(bundle).toAbsolutePath().normalize();
            try (FileStreams files = new FileStreams(inv)) {
                image = inv.callWithProgress(ImageApi.BUNDLE_PULL,
                        new ImageApi.BundlePullParams(null, sha256, name, files.upload("--bundle", file), file.toString()));
                files.await();
            }
        }
        inv.render(ImageApi.BUNDLE_PULL, image, () -> ImageListCommand.describe(inv, image));
        return 0;
    }

    /**
     * The invoking user's credentials for the image's registry (docker config, credential
     * helpers run as this user), for the daemon to use in this pull only; null when there are
     * none. A config or helper that fails is reported and the pull goes on without credentials.
     */
    private RegistryLogin login(Invocation inv) {
        try {
            return DockerCredentials.fromEnvironment(inv.root().env()).forReference(ref)
                    .map(l -> new RegistryLogin(l.username(), l.password()))
                    .orElse(null);
        } catch (java.io.IOException e) {
            inv.terminal().hint("pulling without registry credentials: " + e.getMessage());
            return null;
        }
    }
}
