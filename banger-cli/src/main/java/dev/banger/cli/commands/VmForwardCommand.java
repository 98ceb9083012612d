package dev.banger.cli.commands;

import dev.banger.core.api.VmApi;
import dev.banger.core.api.VmApi.ForwardParams;
import dev.banger.core.api.VmApi.ForwardsInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "forward", description = "Publish a host port to a VM's port, take it back, or list them: banger vm forward web add 8080:80.",
        subcommands = {VmForwardCommand.Add.class, VmForwardCommand.Remove.class, VmForwardCommand.ListForwards.class})
public final class VmForwardCommand {

    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    /** Prints the VM's forwards, one a line, as `127.0.0.1:8080 -> web.vm:80/tcp`. */
    static void print(Invocation inv, ForwardsInfo result) {
        if (result.forwards().isEmpty()) {
            inv.terminal().println("no published ports");
        }
        for (String f : result.forwards()) {
            inv.terminal().println(describe(f, result.name()));
        }
    }

    /** {@code 127.0.0.1:8080:80/tcp} of VM web as {@code 127.0.0.1:8080 -> web.vm:80/tcp}. */
    static String describe(String spec, String vm) {
        int slash = spec.lastIndexOf('/');
        int guest = spec.lastIndexOf(':', slash);
        return spec.substring(0, guest) + " -> " + vm + ".vm:" + spec.substring(guest + 1);
    }

    @Command(name = "add", description = "Publish HOST_PORT (on 127.0.0.1 unless HOST_IP is written) to GUEST_PORT; at once when the VM runs.")
    static final class Add implements Callable<Integer> {
        private final Invocation inv;
        @picocli.CommandLine.ParentCommand
        VmForwardCommand parent;
        @Parameters(paramLabel = "[HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|udp]", description = "The port pair, e.g. 8080:80, 0.0.0.0:2222:22, 5353:53/udp.")
        String spec;

        Add(RootCommand root) {
            this.inv = new Invocation(root);
        }

        @Override
        public Integer call() {
            ForwardsInfo r = inv.call(VmApi.FORWARD_ADD, new ForwardParams(parent.vm, spec));
            inv.render(VmApi.FORWARD_ADD, r, () -> print(inv, r));
            return 0;
        }
    }

    @Command(name = "remove", description = "Take a published host port back (named by HOST_PORT[/udp] or the whole forward).")
    static final class Remove implements Callable<Integer> {
        private final Invocation inv;
        @picocli.CommandLine.ParentCommand
        VmForwardCommand parent;
        @Parameters(paramLabel = "HOST_PORT[/tcp|udp]", description = "The host port, or the forward as added.")
        String spec;

        Remove(RootCommand root) {
            this.inv = new Invocation(root);
        }

        @Override
        public Integer call() {
            ForwardsInfo r = inv.call(VmApi.FORWARD_REMOVE, new ForwardParams(parent.vm, spec));
            inv.render(VmApi.FORWARD_REMOVE, r, () -> print(inv, r));
            return 0;
        }
    }

    @Command(name = "list", description = "List the VM's published ports.")
    static final class ListForwards implements Callable<Integer> {
        private final Invocation inv;
        @picocli.CommandLine.ParentCommand
        VmForwardCommand parent;

        ListForwards(RootCommand root) {
            this.inv = new Invocation(root);
        }

        @Override
        public Integer call() {
            return inv.callOnName(VmApi.FORWARD_LIST, parent.vm, false, VmForwardCommand::print);
        }
    }
}
