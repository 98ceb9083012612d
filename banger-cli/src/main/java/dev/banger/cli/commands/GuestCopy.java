package dev.banger.cli.commands;

import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.cli.workspace.TempDirs;
import dev.banger.cli.workspace.WorkspaceException;
import dev.banger.core.api.VmApi.SshInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Files and directories between the host and a guest, as {@code tar | ssh} run by the CLI as the
 * user: the host side reads and writes with the user's rights, the guest side is root. Either way
 * the copy lands in a temporary directory next to its destination first and is moved into place.
 * Destination rules (both ways): an existing directory receives the source under its own name,
 * anything else is the new name; a directory copied onto a directory merges into it.
 */
final class GuestCopy {

    private GuestCopy() {
    }

    static void toGuest(Invocation inv, String vm, Path src, String dst) {
        Path abs = src.toAbsolutePath().normalize();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw new WorkspaceException(src + " does not exist");
        }
        if (!Files.isReadable(abs)) {
            throw new WorkspaceException(src + " cannot be read by you (" + System.getProperty("user.name") + ")");
        }
        String name = abs.getFileName() == null ? "." : abs.getFileName().toString();
        SshInfo info = GuestShell.info(inv, vm);
        String script = "D=" + GuestShell.quote(dst) + "; N=" + GuestShell.quote(name) + "\n" + """
                if [ -d "$D" ]; then T="$D/$N"; else T="$D"; fi
                P=$(dirname "$T")
                [ -d "$P" ] || { echo "banger: $P is not a directory in the guest" >&2; exit 1; }
                S=$(mktemp -d "$P/.banger-cp.XXXXXX") || exit 1
                trap 'rm -rf "$S"' EXIT
                tar -x -f - -C "$S" || { echo "banger: extracting into $P in the guest failed (is its disk full?)" >&2; exit 1; }
                if [ -d "$T" ] && [ -d "$S/$N" ]; then cp -a "$S/$N/." "$T/" || exit 1
                elif [ -d "$T" ]; then echo "banger: $T is a directory in the guest" >&2; exit 1
                else mv -f "$S/$N" "$T" || exit 1; fi
                """;
        List<String> tar = List.of("tar", "-C", abs.getParent() == null ? "/" : abs.getParent().toString(), "--owner=0", "--group=0",
                "--numeric-owner", "-c", "-f", "-", "--", name);
        int[] status = pipeline(tar, GuestShell.argv(info, List.of("-T"), script));
        check(status, "copying " + src + " to " + vm + ":" + dst);
    }

    /** A tar stream on our stdin, extracted into the guest directory {@code dst} (created if missing). */
    static int tarToGuest(Invocation inv, String vm, String dst) {
        SshInfo info = GuestShell.info(inv, vm);
        String q = GuestShell.quote(dst);
        return GuestShell.exec(GuestShell.argv(info, List.of("-T"), "mkdir -p " + q + " && tar -x -f - -C " + q));
    }

    /** The guest's {@code src} as a tar stream on our stdout. */
    static int tarFromGuest(Invocation inv, String vm, String src) {
        SshInfo info = GuestShell.info(inv, vm);
        return GuestShell.exec(GuestShell.argv(info, List.of("-T"), tarScript(src)));
    }

    static void fromGuest(Invocation inv, String vm, String src, Path dst) {
        String name = Path.of(src).getFileName() == null ? null : Path.of(src).getFileName().toString();
        if (name == null || name.equals("..") || name.equals(".")) {
            throw BangerException.badRequest("copy a named file or directory out of " + vm + ", not " + src);
        }
        Path target = Files.isDirectory(dst) ? dst.resolve(name) : dst;
        Path parent = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new WorkspaceException(parent + " is not a directory");
        }
        SshInfo info = GuestShell.info(inv, vm);
        Path tmp;
        try {
            tmp = Files.createTempDirectory(parent, ".banger-cp.");
        } catch (IOException e) {
            throw new WorkspaceException("cannot write in " + parent + ": " + e.getMessage());
        }
        try {
            // GNU tar as the user: members with .. or absolute names are refused, links made last.
            int[] status = pipeline(GuestShell.argv(info, List.of("-n", "-T"), tarScript(src)),
                    List.of("tar", "-x", "-f", "-", "-C", tmp.toString(), "--no-same-owner"));
            check(status, "copying " + vm + ":" + src + " to " + dst);
            Path got = tmp.resolve(name);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(got, LinkOption.NOFOLLOW_LINKS)) {
                ProcessLauncher.Output o = ProcessLauncher.run(List.of("cp", "-a", got + "/.", target + "/"), null, Map.of(),
                        new byte[0], Duration.ofHours(1));
                if (o.exitCode() != 0) {
                    throw new WorkspaceException("cannot merge into " + target + ": " + o.stderr().strip());
                }
            } else if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new WorkspaceException(target + " is a directory; " + vm + ":" + src + " is not");
            } else {
                Files.move(got, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new WorkspaceException("cannot place the copy at " + target + ": " + e.getMessage());
        } finally {
            TempDirs.delete(tmp);
        }
    }

    private static String tarScript(String src) {
        String q = GuestShell.quote(src);
        return "[ -e " + q + " ] || { echo \"banger: " + src.replace("\"", "") + " does not exist in the guest\" >&2; exit 1; }\n"
                + "cd \"$(dirname " + q + ")\" && tar -c -f - \"$(basename " + q + ")\"";
    }

    private static int[] pipeline(List<String> producer, List<String> consumer) {
        try {
            return ProcessLauncher.runPipeline(producer, consumer);
        } catch (IOException e) {
            throw GuestShell.missingSsh(e);
        }
    }

    private static void check(int[] status, String what) {
        if (status[0] != 0 || status[1] != 0) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, what + " failed (exit statuses " + status[0] + " and "
                    + status[1] + "; the messages above say why)");
        }
    }
}
