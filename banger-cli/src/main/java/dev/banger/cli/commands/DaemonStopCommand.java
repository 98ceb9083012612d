package dev.banger.cli.commands;

import dev.banger.cli.client.DaemonUnreachableException;
import dev.banger.cli.client.RpcClient;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.SystemApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "stop", description = "Ask bangerd to shut down and wait until it has. Running VMs keep running.")
public final class DaemonStopCommand implements Callable<Integer>, PrintsNoData {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final Invocation inv;

    DaemonStopCommand(RootCommand root) {
        this.inv = new Invocation(root);
    }

    @Override
    public Integer call() throws InterruptedException {
        Path socket = inv.root().socket();
        long pid;
        try (RpcClient c = RpcClient.connect(socket)) {
            pid = c.call(SystemApi.PING, NoParams.NONE).pid();
            c.call(SystemApi.SHUTDOWN, NoParams.NONE);
        } catch (DaemonUnreachableException e) {
            inv.terminal().println("bangerd is not running (" + e.getMessage() + ")");
            return 0;
        }
        // Stopped means the process is gone, not only the socket: a start right after must not race it.
        ProcessHandle daemon = ProcessHandle.of(pid).orElse(null);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean answers;
            try (RpcClient c = RpcClient.connect(socket)) {
                answers = true;
            } catch (DaemonUnreachableException gone) {
                answers = false;
            }
            if (!answers && (daemon == null || !daemon.isAlive())) {
                inv.terminal().println("bangerd stopped");
                return 0;
            }
            Thread.sleep(50);
        }
        inv.terminal().error("bangerd (pid " + pid + ") has not exited " + WAIT.toSeconds() + " s after shutdown", null);
        return RootCommand.EXIT_FAILED;
    }
}
