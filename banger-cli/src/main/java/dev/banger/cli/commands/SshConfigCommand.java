package dev.banger.cli.commands;

import dev.banger.cli.sshconfig.HostBlock;
import dev.banger.cli.sshconfig.UserSshConfig;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import dev.banger.core.api.SystemApi.SshConfigInfo;
import dev.banger.core.rpc.BangerException;
import dev.banger.core.rpc.ErrorCode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "ssh-config", description = {
        "Make plain `ssh NAME.vm` work: writes banger's `Host *.vm` block (root, banger's key and known_hosts, a ProxyCommand"
                + " that asks bangerd for the VM's address) to ~/.config/banger/ssh_config and prints it.",
        "--install also adds an Include of it, between `# >>> banger >>>` and `# <<< banger <<<`, at the top of ~/.ssh/config;"
                + " --uninstall removes exactly those lines."})
public final class SshConfigCommand implements Callable<Integer> {

    private final Invocation inv;

    @Spec
    CommandSpec spec;

    @Option(names = "--install", description = "Also include it from ~/.ssh/config (idempotent).")
    boolean install;

    @Option(names = "--uninstall", description = "Remove banger's Include from ~/.ssh/config, and nothing else.")
    boolean uninstall;

    SshConfigCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        if (install && uninstall) {
            throw new ParameterException(spec.commandLine(), "--install and --uninstall contradict each other");
        }
        UserSshConfig files = UserSshConfig.forHome(inv.root().env());
        String include = files.display(files.bangerConfig());
        String userConfig = files.display(files.sshConfig());
        if (uninstall) {
            boolean removed = files.uninstall();
            inv.render(result(files, removed), () -> inv.terminal().println(removed
                    ? "removed banger's Include from " + userConfig + " (" + include + " stays; delete it if you like)"
                    : userConfig + " has no banger Include: nothing to remove"));
            return 0;
        }
        SshConfigInfo keys = inv.call(SystemApi.SSH_CONFIG, NoParams.NONE);
        String block = HostBlock.render(keys.user(), GuestShell.identity(keys.identityFile(), keys.groupIdentityFile()),
                keys.knownHostsFile(), GuestShell.remoteCommand(launcher()));
        if (install) {
            boolean changed = files.install(block);
            inv.render(result(files, changed), () -> inv.terminal().println((changed ? "" : "already installed: ") + userConfig
                    + " includes " + include + ", so `ssh NAME.vm` reaches a running VM"));
            return 0;
        }
        boolean changed = files.writeBlock(block);
        inv.render(result(files, changed), () -> {
            inv.terminal().out().print(block);
            inv.terminal().out().flush();
            inv.terminal().hint((changed ? "written to " : "unchanged: ") + include + "; " + (files.installed()
                    ? userConfig + " includes it" : "`banger ssh-config --install` includes it from " + userConfig));
        });
        return 0;
    }

    private static Map<String, Object> result(UserSshConfig files, boolean changed) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ssh_config", files.bangerConfig().toString());
        r.put("user_config", files.sshConfig().toString());
        r.put("installed", files.installed());
        r.put("changed", changed);
        return r;
    }

    /**
     * This launcher by its absolute path (ssh runs the ProxyCommand with the user's PATH, which may
     * not have it), with the socket when the user chose one, so ssh reaches the same daemon.
     */
    private List<String> launcher() {
        String home = System.getProperty("banger.home");
        if (home == null || home.isBlank()) {
            throw new BangerException(ErrorCode.OPERATION_FAILED, "cannot tell where the banger launcher is (no -Dbanger.home):"
                    + " run banger through its bin/banger launcher");
        }
        List<String> words = new ArrayList<>(List.of(Path.of(home, "bin", "banger").toString()));
        if (inv.root().socketChosen()) {
            words.addAll(List.of("--socket", inv.root().socket().toAbsolutePath().toString()));
        }
        return words;
    }
}
