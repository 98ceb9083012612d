package dev.banger.daemon.image.recipe;

import java.util.List;
import java.util.Optional;

/**
 * A built-in image banger makes itself rather than pulls: Debian {@code suite} debootstrapped from
 * a Debian mirror with {@code packages} (systemd as init, OpenSSH, the network tools banger-init
 * uses, git for workspaces: a shipped repository's history and {@code vm workspace export}), booting the catalog kernel {@code kernelRef}. {@code image pull NAME} and the auto-pull of
 * {@code vm create} build it; scripts/host-setup.sh mirrors the same package list for the tests.
 */
public record DebianRecipe(String name, String suite, String variant, List<String> packages, String kernelRef) {

    /** The default image ({@code default_image_name}'s default). */
    public static final DebianRecipe BOOKWORM = new DebianRecipe("debian-bookworm", "bookworm", "minbase",
            List.of("systemd-sysv", "openssh-server", "iproute2", "udev", "dbus", "git"), "debian-cloud");

    private static final List<DebianRecipe> BUILT_IN = List.of(BOOKWORM);

    public DebianRecipe {
        packages = List.copyOf(packages);
    }

    /** The built-in recipe called {@code name}, if there is one. */
    public static Optional<DebianRecipe> builtIn(String name) {
        return BUILT_IN.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** The names of every built-in recipe, for messages. */
    public static List<String> names() {
        return BUILT_IN.stream().map(DebianRecipe::name).toList();
    }
}
