package dev.banger.cli.commands;

import dev.banger.cli.console.Table;
import dev.banger.core.api.VmApi;
import dev.banger.core.api.VmApi.PortsInfo;
import picocli.CommandLine.Command;

@Command(name = "ports", description = "List the TCP and UDP ports VMs listen on, as NAME.vm:PORT, with an http:// link where a port answers HTTP.")
public final class VmPortsCommand extends VmFanOut.ByName<PortsInfo> {

    /** One table for every VM asked about: each endpoint names its VM. */
    private final Table table = new Table("ENDPOINT", "PROTO", "PROCESS", "URL");
    private final java.util.List<String> forwards = new java.util.ArrayList<>();
    private int rows;
    private int answered;

    VmPortsCommand(RootCommand root) {
        super(root, VmApi.PORTS_LIST, "");
    }

    @Override
    void printResult(String name, PortsInfo result) {
        answered++;
        for (VmApi.Port p : result.ports()) {
            String process = String.valueOf(p.process());
            table.row(p.endpoint(), p.proto(), process.isEmpty() ? null : process, p.url());
            rows++;
        }
        for (String f : result.forwards()) {
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
