package dev.banger.cli.commands;

import dev.banger.cli.exec.ProcessLauncher;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import dev.banger.core.rpc.Methods;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        Map<String, Object> info = inv.call(Methods.VM_SSH, Map.of("name", vm));
        List<String> argv = argv(info, command);
        try {
            return ProcessLauncher.runInteractive(argv);
        } catch (IOException e) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot run ssh (" + e.getMessage()
                    + "): install the openssh-client package");
        }
    }

    /** The key file whose mode OpenSSH accepts for us: the 0600 one if we own it, else the group's copy. */
    static String identity(Map<String, Object> info) {
        String own = String.valueOf(info.get("identity_file"));
        Object group = info.get("group_identity_file");
        try {
            if (group == null || Files.getOwner(Path.of(own)).getName().equals(System.getProperty("user.name"))) {
                return own;
            }
        } catch (IOException e) {
            // Cannot even stat it: the group's copy is our only chance.
        }
        return String.valueOf(group);
    }

    static List<String> argv(Map<String, Object> info, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("ssh", "-i", identity(info),
                "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + info.get("known_hosts_file"),
                "-o", "StrictHostKeyChecking=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
                "-p", String.valueOf(info.get("port"))));
        if (command.isEmpty()) {
            argv.add("-t");
        }
        argv.add(info.get("user") + "@" + info.get("ip"));
        if (!command.isEmpty()) {
            argv.add("--");
            argv.add(remoteCommand(command));
        }
        return argv;
    }

    /**
     * ssh joins its arguments with spaces for the guest's shell to split again, so
     * {@code sh -c 'uname -r'} would arrive as {@code sh -c uname -r}: each word is quoted
     * for that shell, which then sees exactly the words the user typed.
     */
    static String remoteCommand(List<String> command) {
        List<String> words = new ArrayList<>();
        for (String word : command) {
            words.add(SHELL_SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'");
        }
        return String.join(" ", words);
    }
}
