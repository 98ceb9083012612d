package dev.banger.daemon.image.recipe;

import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.daemon.exec.Command;
import dev.banger.daemon.exec.CommandFailedException;
import dev.banger.daemon.exec.CommandResult;
import dev.banger.daemon.exec.CommandRunner;
import dev.banger.daemon.exec.DaemonUser;
import dev.banger.daemon.exec.HostPrograms;
import dev.banger.daemon.ops.OperationContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes the root tree of a {@link DebianRecipe}: {@code debootstrap} from a mirror, checked against
 * a keyring, then made fit to be cloned into many VMs (no SSH host keys, no machine-id: each VM
 * makes its own at first boot). debootstrap runs in a mount namespace of its own
 * ({@code unshare --mount}), so the /proc and /sys it mounts inside the tree vanish with it, even
 * when a cancel kills it half-way: what is left is plain files the caller's staging cleanup removes.
 */
public final class Debootstrap {

    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final CommandRunner runner;

    public Debootstrap(CommandRunner runner) {
        this.runner = runner;
    }

    /**
     * Bootstraps {@code recipe} into {@code target} (which must not exist) from {@code mirror};
     * {@code mirrorOrigin} says where the mirror came from, for the error a person reads.
     */
    public void build(DebianRecipe recipe, String mirror, String mirrorOrigin, Path keyring, Path target, OperationContext ctx) {
        if (!DaemonUser.isRoot()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building image " + recipe.name() + " runs debootstrap, "
                    + "which needs root: run bangerd as root (the system daemon does)");
        }
        String debootstrap = HostPrograms.locate("debootstrap").map(Path::toString).orElseThrow(() -> new BangerException(
                ErrorCode.OPERATION_FAILED, "building image " + recipe.name() + " needs debootstrap: apt-get install debootstrap"));
        if (!Files.isRegularFile(keyring)) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building image " + recipe.name() + ": keyring " + keyring
                    + " (config key debian_keyring) does not exist; Debian's is in package debian-archive-keyring");
        }
        String unshare = HostPrograms.locate("unshare").map(Path::toString).orElse("unshare");
        List<String> argv = List.of(unshare, "--mount", "--propagation", "private", debootstrap,
                "--variant=" + recipe.variant(), "--include=" + String.join(",", recipe.packages()), "--keyring=" + keyring,
                recipe.suite(), target.toString(), mirror);
        ctx.progress("debootstrap Debian " + recipe.suite() + " from " + mirror);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CommandResult r;
        try {
            r = runner.runAllowingFailure(new Command(argv, TIMEOUT, null, Map.of("PATH", PATH, "LC_ALL", "C"), null),
                    line -> reportPhase(line, seen, ctx));
        } catch (CommandFailedException e) { // killed: cancelled, or over its time
            ctx.checkCancelled();
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building image " + recipe.name() + ": " + e.getMessage(), e);
        }
        ctx.checkCancelled();
        if (!r.ok()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "building image " + recipe.name() + ": debootstrap of Debian "
                    + recipe.suite() + " from " + mirror + " (" + mirrorOrigin + ") failed: " + lastLines(r.stderr() + "\n"
                    + r.stdout(), 4));
        }
        ctx.progress("make the tree fit for many VMs (no host keys, no machine-id)");
        scrub(target);
    }

    /** debootstrap says {@code I: Retrieving libc6 2.36-9...} for each package: one progress line per verb, the first time. */
    private static void reportPhase(String line, Set<String> seen, OperationContext ctx) {
        if (!line.startsWith("I: ")) {
            return;
        }
        String verb = line.substring(3).split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        if (List.of("retrieving", "extracting", "unpacking", "configuring").contains(verb) && seen.add(verb)) {
            ctx.progress("debootstrap: " + verb + " packages");
        }
    }

    /**
     * Host keys go (banger-init makes a VM's own at its first boot); /etc/machine-id is emptied
     * (systemd makes one per VM at first boot), and dbus's copy becomes a link to it.
     */
    static void scrub(Path tree) {
        try {
            try (var keys = Files.newDirectoryStream(tree.resolve("etc/ssh"), "ssh_host_*")) {
                for (Path k : keys) {
                    Files.delete(k);
                }
            }
            Path machineId = tree.resolve("etc/machine-id");
            Files.deleteIfExists(machineId);
            Files.createFile(machineId);
            Files.setAttribute(machineId, "unix:mode", 0444);
            Path dbusId = tree.resolve("var/lib/dbus/machine-id");
            if (Files.isDirectory(dbusId.getParent())) {
                Files.deleteIfExists(dbusId);
                Files.createSymbolicLink(dbusId, Path.of("/etc/machine-id"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the debootstrapped tree " + tree + ": " + e.getMessage(), e);
        }
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.strip().lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

}
