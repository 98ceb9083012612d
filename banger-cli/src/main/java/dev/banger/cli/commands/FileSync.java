package dev.banger.cli.commands;

import dev.banger.core.rpc.BangerException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --sync HOST_PATH:GUEST_PATH}: extra files (a ~/.gitconfig, a token) copied into the guest
 * after the work tree, read by the CLI as the user, written in the guest as root with their modes.
 */
final class FileSync {

    private FileSync() {
    }

    static void copy(Invocation inv, String vm, List<String> entries) {
        for (String entry : entries) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0 || colon == entry.length() - 1 || !entry.substring(colon + 1).startsWith("/")) {
                throw BangerException.badRequest("--sync '" + entry + "' is not HOST_PATH:GUEST_PATH with an absolute GUEST_PATH");
            }
            String host = entry.substring(0, colon);
            if (host.equals("~") || host.startsWith("~/")) {
                host = System.getProperty("user.home") + host.substring(1);
            }
            GuestCopy.toGuest(inv, vm, Path.of(host), entry.substring(colon + 1));
        }
    }
}
