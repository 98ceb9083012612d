package dev.banger.cli.commands;

import dev.banger.core.rpc.Methods;
import java.util.Map;
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
        Map<String, Object> r = inv.call(Methods.VM_LOGS, Invocation.params("name", vm, "lines", lines));
        inv.render(r, () -> {
            for (Object line : Invocation.asList(r.get("lines"))) {
                inv.terminal().println(String.valueOf(line));
            }
        });
        return 0;
    }
}
