package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.rpc.Methods;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "ports", description = "List the TCP and UDP ports VMs listen on, as NAME.vm:PORT, with an http:// link where a port answers HTTP.")
public final class VmPortsCommand extends VmFanOut {

    /** One table for every VM asked about: each endpoint names its VM. */
    private final Table table = new Table("ENDPOINT", "PROTO", "PROCESS", "URL");
    private final java.util.List<String> forwards = new java.util.ArrayList<>();
    private int rows;
    private int answered;

    VmPortsCommand(RootCommand root) {
        super(root, Methods.VM_PORTS, "");
    }

    @Override
    void printResult(String name, Map<String, Object> result) {
        answered++;
        for (Map<String, Object> p : Invocation.asList(result.get("ports"))) {
            String process = String.valueOf(p.get("process"));
            table.row(p.get("endpoint"), p.get("proto"), process.isEmpty() ? null : process, p.get("url"));
            rows++;
        }
        for (String f : VmForwardCommand.specs(result.get("forwards"))) {
            forwards.add(VmForwardCommand.describe(f, name));
        }
    }

    @Override
    void printed() {
        if (rows > 0) {
            inv.terminal().out().print(table.render());
            inv.terminal().out().flush();
        } else if (answered > 0) {
            inv.terminal().println("no listening ports");
        }
        for (String f : forwards) {
            inv.terminal().println("published " + f);
        }
    }
}
