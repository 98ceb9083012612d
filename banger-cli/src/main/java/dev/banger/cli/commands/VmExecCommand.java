package dev.banger.cli.commands;

import dev.banger.core.api.VmApi.SshInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "exec", description = {"Run a command in a running VM and exit with its status.",
        "  banger vm exec VM -- make test",
        "It runs in the last shipped work tree (e.g. /root/repo), else in /root; the words are run exactly as given.",
        "stdin is forwarded with -i; a TTY with -t (the default when stdin and stdout are terminals)."})
public final class VmExecCommand implements Callable<Integer>, PrintsNoData {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Invocation inv;

    @Spec
    CommandSpec commandSpec;

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Directory in the guest to run in.")
    String workdir;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Set an environment variable for the command. Repeatable.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-i", "--interactive"}, description = "Forward stdin to the command.")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, negatable = true, description = "Give the command a TTY (default: when stdin and stdout are terminals).")
    Boolean tty;

    VmExecCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        StringBuilder remote = new StringBuilder();
        for (String kv : env) {
            int eq = kv.indexOf('=');
            if (eq <= 0 || !ENV_NAME.matcher(kv.substring(0, eq)).matches()) {
                throw new ParameterException(commandSpec.commandLine(), "--env '" + kv + "' is not NAME=VALUE");
            }
        }
        SshInfo info = GuestShell.info(inv, vm);
        String dir = workdir != null ? workdir : info.workspace();
        if (dir != null) {
            remote.append("cd ").append(GuestShell.quote(dir)).append(" && ");
        }
        remote.append("exec ");
        if (!env.isEmpty()) {
            remote.append("env ");
            env.forEach(kv -> remote.append(GuestShell.quote(kv)).append(' '));
        }
        remote.append(GuestShell.remoteCommand(command));
        boolean withTty = tty != null ? tty : Boolean.getBoolean("banger.tty.in") && Boolean.getBoolean("banger.tty.out");
        List<String> flags = new ArrayList<>();
        flags.add(withTty ? "-tt" : "-T");
        if (!interactive) {
            flags.add("-n");
        }
        return GuestShell.exec(GuestShell.argv(info, flags, remote.toString()));
    }
}
