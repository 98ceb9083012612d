package dev.banger.daemon.image;

import dev.banger.core.rpc.BangerException;
import java.util.Locale;
import java.util.regex.Pattern;

/** Image and kernel names: safe as directory names and in shell commands. */
final class Names {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    private Names() {
    }

    static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    static String validate(String kind, String name) {
        if (!isValid(name)) {
            throw BangerException.badRequest(kind + " name '" + name + "' is not valid: use 1-63 lower-case letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /** {@code registry/library/debian:bookworm} becomes {@code debian-bookworm}. */
    static String fromReference(String repository, String tag, String digest) {
        String base = repository.substring(repository.lastIndexOf('/') + 1);
        String suffix = tag != null ? tag : digest.substring("sha256:".length(), "sha256:".length() + 12);
        String name = (base + "-" + suffix).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        return name.length() > 63 ? name.substring(0, 63) : name;
    }
}
