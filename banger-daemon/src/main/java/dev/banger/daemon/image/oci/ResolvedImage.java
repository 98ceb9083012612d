package dev.banger.daemon.image.oci;

import dev.banger.core.image.ImageReference;
import java.util.List;

/**
 * What {@link RegistryClient#resolve} found: the linux/amd64 image manifest (its digest, config
 * and layers in order, lowest first) and the runtime settings from its config blob. Lists are
 * never null (empty when the image sets none); {@code workingDir} and {@code user} are empty
 * strings when unset. {@code manifestDigest} is the platform manifest's, also when {@code ref}
 * named an index: {@code ref.withDigest(manifestDigest)} names exactly this image.
 */
public record ResolvedImage(ImageReference ref, String manifestDigest, Descriptor config, List<Descriptor> layers,
                            String os, String architecture, List<String> env, List<String> entrypoint,
                            List<String> cmd, String workingDir, String user) {

    public ResolvedImage {
        layers = List.copyOf(layers);
        env = List.copyOf(env);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }

    /** Bytes of the layers, what a pull downloads after resolving (the config comes with the resolve). */
    public long layerBytes() {
        return layers.stream().mapToLong(Descriptor::size).sum();
    }
}
