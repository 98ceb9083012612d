package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "logs", description = "Print a VM's serial console (kernel and init messages).")
public final class VmLogsCommand implements Callable<Integer> {

    private final Invocation inv;

    @Parameters(paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = {"-n", "--lines"}, description = "Only the last N lines.")
    Integer lines;

    VmLogsCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() {
        VmApi.Logs r = inv.call(VmApi.LOGS, new VmApi.LogsParams(vm, lines));
        inv.render(VmApi.LOGS, r, () -> {
            for (String line : r.lines()) {
                inv.terminal().println(line);
            }
        });
        return 0;
    }
}
