package dev.banger.cli.commands;

import dev.banger.cli.Banger;
import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.rpc.Methods;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "stop", description = "Ask bangerd to shut down and wait until it has. Running VMs keep running.")
public final class DaemonStopCommand implements Callable<Integer> {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Invocation inv = Invocation.of(spec);
        Path socket = inv.root().socket();
        try (RpcClient c = RpcClient.connect(socket)) {
            c.call(Methods.SHUTDOWN, null);
        } catch (DaemonUnreachableException e) {
            inv.terminal().println("bangerd is not running (" + e.getMessage() + ")");
            return 0;
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (RpcClient c = RpcClient.connect(socket)) {
                Thread.sleep(50);
            } catch (DaemonUnreachableException gone) {
                inv.terminal().println("bangerd stopped");
                return 0;
            }
        }
        inv.terminal().error("bangerd still answers on " + socket + " after " + WAIT.toSeconds() + " s", null);
        return Banger.EXIT_FAILED;
    }
}
