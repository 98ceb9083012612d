package dev.banger.cli.commands;

import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.GuestSshKex;
import dev.banger.core.api.NameParams;
import dev.banger.core.api.VmApi.SshInfo;
import dev.banger.core.api.VmApi;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The system {@code ssh} into a VM, with banger's key and the known_hosts the daemon pinned at
 * boot (so no trust-on-first-use prompt, and a changed host key is refused).
 */
final class GuestShell {

    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private GuestShell() {
    }

    /** Runs {@code command} in the VM (an interactive shell when empty); returns ssh's exit status, which is the command's. */
    static int run(Invocation inv, String vm, List<String> command) {
        return exec(argv(info(inv, vm), command));
    }

    /** The {@code vm.ssh} answer: address, key, known_hosts, and the last ship's guest path (or null). */
    static SshInfo info(Invocation inv, String vm) {
        return inv.call(VmApi.SSH, new NameParams(vm));
    }

    /** Runs the system ssh (or a pipeline's argv) on our terminal; its exit status. */
    static int exec(List<String> argv) {
        try {
            return ProcessLauncher.runInteractive(argv);
        } catch (IOException e) {
            throw missingSsh(e);
        }
    }

    static BangerException missingSsh(IOException e) {
        return new BangerException(ErrorCode.OPERATION_FAILED, "cannot run ssh (" + e.getMessage()
                + "): install the openssh-client package");
    }

    /** The key file whose mode OpenSSH accepts for us: the 0600 one if we own it, else the group's copy. */
    static String identity(String own, String group) {
        try {
            if (group == null || Files.getOwner(Path.of(own)).getName().equals(System.getProperty("user.name"))) {
                return own;
            }
        } catch (IOException e) {
            // Cannot even stat it: the group's copy is our only chance.
        }
        return group;
    }

    /**
     * One word after {@code --} is a command line for the guest's login shell, as with ssh
     * ({@code vm ssh VM -- 'echo a; echo b'}); several words are run exactly as given.
     */
    static List<String> argv(SshInfo info, List<String> command) {
        if (command.isEmpty()) {
            return argv(info, List.of("-t"), null);
        }
        return argv(info, List.of(), command.size() == 1 ? command.getFirst() : remoteCommand(command));
    }

    /** ssh with banger's key and pinned known_hosts, {@code flags} before the destination, then the remote command (if any). */
    static List<String> argv(SshInfo info, List<String> flags, String remote) {
        List<String> argv = new ArrayList<>(List.of("ssh", "-i", identity(info.identityFile(), info.groupIdentityFile()),
                "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + info.knownHostsFile(),
                "-o", "StrictHostKeyChecking=yes", "-o", "KexAlgorithms=" + GuestSshKex.ALGORITHMS, "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10",
                "-p", String.valueOf(info.port())));
        argv.addAll(flags);
        argv.add(info.user() + "@" + info.ip());
        if (remote != null) {
            argv.add("--");
            argv.add(remote);
        }
        return argv;
    }

    /** A word quoted for the guest's sh (as is when it needs no quoting). */
    static String quote(String word) {
        return SHELL_SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * ssh joins its arguments with spaces for the guest's shell to split again, so
     * {@code sh -c 'uname -r'} would arrive as {@code sh -c uname -r}: each word is quoted
     * for that shell, which then sees exactly the words the user typed.
     */
    static String remoteCommand(List<String> command) {
        List<String> words = new ArrayList<>();
        for (String word : command) {
            words.add(quote(word));
        }
        return String.join(" ", words);
    }
}
