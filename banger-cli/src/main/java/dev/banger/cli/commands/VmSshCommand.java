package dev.banger.cli.commands;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "ssh", description = {"Open a shell in a running VM, or run a command there.",
        "  banger vm ssh VM -- 'echo a; echo b'   one word: a command line for the guest's login shell, as ssh does",
        "  banger vm ssh VM -- grep -r 'a b' .    several words: run exactly as given (each word quoted for you)",
        "Exits with the command's status."})
public final class VmSshCommand implements Callable<Integer>, PrintsNoData {

    private final Invocation inv;

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "Command to run instead of a shell (after --).")
    List<String> command = List.of();

    VmSshCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        int status = GuestShell.run(inv, vm, command);
        if (command.isEmpty()) {
            inv.terminal().hint("vm " + vm + " is still running (banger vm stop " + vm + " stops it)");
        }
        return status;
    }
}
